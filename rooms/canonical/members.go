package canonical

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Member is one member of a JSON object: its decoded key and the raw JSON of
// its value, exactly as it appeared in the input (so canonical if the input
// was canonical).
type Member struct {
	Key   string
	Value []byte
}

// Members splits a top-level JSON object into its members, in input order
// and including repeated keys, without decoding the values. The values are
// checked to be well-formed JSON (as the lenient mode of Canonicalize
// accepts), and alias object's memory. Callers that need canonical values
// pass the output of Canonicalize.
func Members(object []byte) ([]Member, error) {
	i := skipSpace(object, 0)
	if i >= len(object) || object[i] != '{' {
		return nil, ErrNotObject
	}
	members := make([]Member, 0, 16)
	i = skipSpace(object, i+1)
	if i < len(object) && object[i] == '}' {
		return members, trailing(object, i+1)
	}
	var key []byte
	for {
		if i >= len(object) || object[i] != '"' {
			return nil, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
		var err error
		if key, i, err = decodeString(key[:0], object, i+1); err != nil {
			return nil, fmt.Errorf("%w at offset %d", err, i)
		}
		if i = skipSpace(object, i); i >= len(object) || object[i] != ':' {
			return nil, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
		start := skipSpace(object, i+1)
		end, err := skipValue(object, start, 1)
		if err != nil {
			return nil, err
		}
		members = append(members, Member{Key: string(key), Value: object[start:end:end]})
		i = skipSpace(object, end)
		if i >= len(object) {
			return nil, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
		switch object[i] {
		case ',':
			i = skipSpace(object, i+1)
		case '}':
			return members, trailing(object, i+1)
		default:
			return nil, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
	}
}

func trailing(in []byte, i int) error {
	if i = skipSpace(in, i); i != len(in) {
		return fmt.Errorf("%w at offset %d", ErrSyntax, i)
	}
	return nil
}

// AppendObject appends a JSON object holding members, sorted by key in code
// point order, to dst. The values are written as they are and must already
// be canonical; of repeated keys only the last is written. AppendObject
// sorts members in place.
func AppendObject(dst []byte, members []Member) []byte {
	if !slices.IsSortedFunc(members, compareMembers) {
		slices.SortStableFunc(members, compareMembers)
	}
	dst = append(dst, '{')
	first := true
	for i, m := range members {
		if i+1 < len(members) && members[i+1].Key == m.Key {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendString(dst, m.Key)
		dst = append(dst, ':')
		dst = append(dst, m.Value...)
	}
	return append(dst, '}')
}

// compareMembers orders by key. Go compares strings bytewise, and UTF-8
// bytewise order is Unicode code point order.
func compareMembers(a, b Member) int {
	switch {
	case a.Key < b.Key:
		return -1
	case a.Key > b.Key:
		return 1
	}
	return 0
}

// Valid reports whether data is one well-formed JSON value that the lenient
// mode of Canonicalize would accept.
func Valid(data []byte) bool {
	end, err := skipValue(data, skipSpace(data, 0), 0)
	return err == nil && skipSpace(data, end) == len(data)
}

func skipSpace(in []byte, i int) int {
	for i < len(in) {
		switch in[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue checks the JSON value starting at in[i] and returns the offset
// just after it.
func skipValue(in []byte, i, depth int) (int, error) {
	if i >= len(in) {
		return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
	}
	switch c := in[i]; {
	case c == '{' || c == '[':
		return skipContainer(in, i, depth+1)
	case c == '"':
		return skipString(in, i+1)
	case c == 't':
		return skipLiteral(in, i, "true")
	case c == 'f':
		return skipLiteral(in, i, "false")
	case c == 'n':
		return skipLiteral(in, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(in, i)
	}
	return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
}

func skipContainer(in []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, fmt.Errorf("%w at offset %d", ErrTooDeep, i)
	}
	closer := byte(']')
	object := in[i] == '{'
	if object {
		closer = '}'
	}
	i = skipSpace(in, i+1)
	if i < len(in) && in[i] == closer {
		return i + 1, nil
	}
	var err error
	for {
		if object {
			if i >= len(in) || in[i] != '"' {
				return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
			}
			if i, err = skipString(in, i+1); err != nil {
				return i, err
			}
			if i = skipSpace(in, i); i >= len(in) || in[i] != ':' {
				return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
			}
			i = skipSpace(in, i+1)
		}
		if i, err = skipValue(in, i, depth); err != nil {
			return i, err
		}
		i = skipSpace(in, i)
		if i >= len(in) {
			return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
		switch in[i] {
		case ',':
			i = skipSpace(in, i+1)
		case closer:
			return i + 1, nil
		default:
			return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		}
	}
}

func skipString(in []byte, i int) (int, error) {
	for i < len(in) {
		c := in[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			_, n, err := unescape(in[i:])
			if err != nil {
				return i, fmt.Errorf("%w at offset %d", err, i)
			}
			i += n
		case c < 0x20:
			return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				return i, fmt.Errorf("%w at offset %d", ErrInvalidUTF8, i)
			}
			i += size
		}
	}
	return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
}

func skipLiteral(in []byte, i int, word string) (int, error) {
	if !bytes.HasPrefix(in[i:], []byte(word)) {
		return i, fmt.Errorf("%w at offset %d", ErrSyntax, i)
	}
	return i + len(word), nil
}

func skipNumber(in []byte, i int) (int, error) {
	start := i
	if in[i] == '-' {
		i++
	}
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && in[i] >= '1' && in[i] <= '9':
		i = skipDigits(in, i+1)
	default:
		return i, fmt.Errorf("%w at offset %d", ErrSyntax, start)
	}
	if i < len(in) && in[i] == '.' {
		d := i + 1
		if i = skipDigits(in, d); i == d {
			return i, fmt.Errorf("%w at offset %d", ErrSyntax, start)
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		d := i
		if i = skipDigits(in, d); i == d {
			return i, fmt.Errorf("%w at offset %d", ErrSyntax, start)
		}
	}
	return i, nil
}
