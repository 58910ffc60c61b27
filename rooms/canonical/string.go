package canonical

import (
	"unicode/utf16"
	"unicode/utf8"
)

// string copies the JSON string starting at e.pos (just after the opening
// quote) to the output in canonical form. Runs of characters that need no
// escaping are copied as they are; escapes are decoded and written again the
// canonical way.
func (e *encoder) string() error {
	in := e.in
	e.out = append(e.out, '"')
	start, i := e.pos, e.pos
	for i < len(in) {
		c := in[i]
		switch {
		case c == '"':
			e.out = append(e.out, in[start:i]...)
			e.out = append(e.out, '"')
			e.pos = i + 1
			return nil
		case c == '\\':
			e.out = append(e.out, in[start:i]...)
			r, n, err := unescape(in[i:])
			if err != nil {
				e.pos = i
				return e.fail(err)
			}
			e.out = appendRune(e.out, r)
			i += n
			start = i
		case c < 0x20:
			e.pos = i
			return e.fail(ErrSyntax)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				e.pos = i
				return e.fail(ErrInvalidUTF8)
			}
			i += size
		}
	}
	e.pos = i
	return e.fail(ErrSyntax)
}

// decodeString appends the decoded bytes of the JSON string starting at
// e.pos (just after the opening quote) to dst and moves past the closing
// quote.
func (e *encoder) decodeString(dst []byte) ([]byte, error) {
	var err error
	dst, e.pos, err = decodeString(dst, e.in, e.pos)
	if err != nil {
		return dst, e.fail(err)
	}
	return dst, nil
}

// decodeString appends the decoded bytes of the JSON string that starts at
// in[i] (just after the opening quote) to dst and returns the offset after
// the closing quote, or the offset of the fault.
func decodeString(dst, in []byte, i int) ([]byte, int, error) {
	start := i
	for i < len(in) {
		c := in[i]
		switch {
		case c == '"':
			return append(dst, in[start:i]...), i + 1, nil
		case c == '\\':
			dst = append(dst, in[start:i]...)
			r, n, err := unescape(in[i:])
			if err != nil {
				return dst, i, err
			}
			dst = utf8.AppendRune(dst, r)
			i += n
			start = i
		case c < 0x20:
			return dst, i, ErrSyntax
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, i, ErrInvalidUTF8
			}
			i += size
		}
	}
	return dst, i, ErrSyntax
}

// unescape decodes the escape sequence at the start of s (s[0] is '\') and
// returns the rune and the number of bytes it took. A \u escape of a UTF-16
// surrogate must be a high surrogate directly followed by a \u escape of a
// low one.
func unescape(s []byte) (rune, int, error) {
	if len(s) < 2 {
		return 0, 0, ErrSyntax
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, 0, ErrSyntax
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, nil
		}
		if r >= 0xDC00 || len(s) < 8 || s[6] != '\\' || s[7] != 'u' {
			return 0, 0, ErrLoneSurrogate
		}
		low, ok := hex4(s[8:])
		if !ok {
			return 0, 0, ErrSyntax
		}
		if low < 0xDC00 || low > 0xDFFF {
			return 0, 0, ErrLoneSurrogate
		}
		return utf16.DecodeRune(r, low), 12, nil
	default:
		return 0, 0, ErrSyntax
	}
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

const hexDigits = "0123456789abcdef"

// appendRune appends r as canonical JSON string content: the grammar's
// dedicated escapes for ", \ and \b \t \n \f \r, \u00XX with lower-case hex
// for the other ASCII control characters, and UTF-8 for everything else.
func appendRune(dst []byte, r rune) []byte {
	switch r {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\t':
		return append(dst, '\\', 't')
	case '\n':
		return append(dst, '\\', 'n')
	case '\f':
		return append(dst, '\\', 'f')
	case '\r':
		return append(dst, '\\', 'r')
	}
	if r < 0x20 {
		return append(dst, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xF])
	}
	return utf8.AppendRune(dst, r)
}

// appendValidString appends s, which must be valid UTF-8, as a quoted
// canonical JSON string.
func appendValidString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			dst = append(dst, s[start:i]...)
			dst = appendRune(dst, rune(c))
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendString appends s as a quoted canonical JSON string. Bytes of s that
// are not valid UTF-8 are written as U+FFFD, since canonical JSON is UTF-8.
func AppendString(dst []byte, s string) []byte {
	if utf8.ValidString(s) {
		dst = append(dst, '"')
		start := 0
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
				dst = append(dst, s[start:i]...)
				dst = appendRune(dst, rune(c))
				start = i + 1
			}
		}
		dst = append(dst, s[start:]...)
		return append(dst, '"')
	}
	dst = append(dst, '"')
	for _, r := range s {
		dst = appendRune(dst, r)
	}
	return append(dst, '"')
}
