package canonical

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// Canonicalize parses one JSON value and returns its canonical encoding
// (appendices.md "Canonical JSON"). It is lenient in the way room versions 1
// to 5 require (rooms/fragments/v1-canonical-json.md: servers MUST NOT
// strictly enforce the format):
//
//   - integers of any size are kept digit for digit; -0 becomes 0;
//   - a number with a fraction or exponent whose value is an integer in
//     [-(2**53)+1, (2**53)-1] is written as that integer (the spec's example
//     turns 1e10 into 10000000000);
//   - any other such number is rounded to the nearest IEEE double and written
//     the way Python's json module writes floats (1.5, 1e+20, 1e-05,
//     9007199254740994.0), because the events of those room versions were
//     hashed and signed by Python servers; a number beyond the double range
//     is ErrNumberRange;
//   - of duplicate keys, the last one wins.
//
// Malformed JSON, invalid UTF-8, lone surrogates and NaN/Infinity are errors
// in both modes.
func Canonicalize(data []byte) ([]byte, error) {
	return encode(make([]byte, 0, len(data)), data, false)
}

// CanonicalizeStrict is Canonicalize for room versions 6 and later
// (rooms/fragments/v6-canonical-json.md: servers MUST strictly enforce the
// format). It also rejects numbers with a fraction or exponent (ErrFloat),
// integers outside [-(2**53)+1, (2**53)-1] (ErrIntegerRange) and objects with
// a repeated key (ErrDuplicateKey).
func CanonicalizeStrict(data []byte) ([]byte, error) {
	return encode(make([]byte, 0, len(data)), data, true)
}

// Append appends the lenient canonical encoding of data to dst; see
// Canonicalize. On error dst is returned unchanged in length.
func Append(dst, data []byte) ([]byte, error) {
	return encode(dst, data, false)
}

// AppendStrict appends the strict canonical encoding of data to dst; see
// CanonicalizeStrict.
func AppendStrict(dst, data []byte) ([]byte, error) {
	return encode(dst, data, true)
}

// member is one object member being encoded: its decoded key lives in
// encoder.keys[keyStart:keyEnd], its `"key":value` encoding in
// encoder.out[start:end].
type member struct {
	keyStart, keyEnd int
	start, end       int
}

// encoder is the scanner and writer of one canonicalisation. Objects push
// their members on a shared stack and pop them when they close, so nested
// objects reuse the same memory; encoders are pooled across calls.
type encoder struct {
	in      []byte
	pos     int
	out     []byte
	strict  bool
	depth   int
	keys    []byte
	members []member
	scratch []byte
}

var encoders = sync.Pool{New: func() any { return new(encoder) }}

// maxRetained bounds the scratch memory a pooled encoder keeps.
const maxRetained = 64 << 10

func encode(dst, data []byte, strict bool) ([]byte, error) {
	e := encoders.Get().(*encoder)
	e.in, e.pos, e.out, e.strict, e.depth = data, 0, dst, strict, 0
	err := e.document()
	out := e.out
	e.in, e.out = nil, nil
	e.keys, e.members, e.scratch = e.keys[:0], e.members[:0], e.scratch[:0]
	if cap(e.keys) > maxRetained || cap(e.scratch) > maxRetained || cap(e.members) > maxRetained/32 {
		e.keys, e.members, e.scratch = nil, nil, nil
	}
	encoders.Put(e)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func (e *encoder) fail(err error) error {
	return fmt.Errorf("%w at offset %d", err, e.pos)
}

func (e *encoder) document() error {
	e.skipSpace()
	if err := e.value(); err != nil {
		return err
	}
	e.skipSpace()
	if e.pos != len(e.in) {
		return e.fail(ErrSyntax)
	}
	return nil
}

// skipSpace skips RFC 8259 insignificant whitespace.
func (e *encoder) skipSpace() {
	for e.pos < len(e.in) {
		switch e.in[e.pos] {
		case ' ', '\t', '\n', '\r':
			e.pos++
		default:
			return
		}
	}
}

func (e *encoder) value() error {
	if e.pos >= len(e.in) {
		return e.fail(ErrSyntax)
	}
	switch c := e.in[e.pos]; c {
	case '{':
		return e.object()
	case '[':
		return e.array()
	case '"':
		e.pos++
		return e.string()
	case 't':
		return e.literal("true")
	case 'f':
		return e.literal("false")
	case 'n':
		return e.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return e.number()
		}
		return e.fail(ErrSyntax)
	}
}

func (e *encoder) literal(word string) error {
	if !bytes.HasPrefix(e.in[e.pos:], []byte(word)) {
		return e.fail(ErrSyntax)
	}
	e.pos += len(word)
	e.out = append(e.out, word...)
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > MaxDepth {
		return e.fail(ErrTooDeep)
	}
	return nil
}

func (e *encoder) array() error {
	if err := e.enter(); err != nil {
		return err
	}
	e.pos++
	e.out = append(e.out, '[')
	e.skipSpace()
	if e.pos < len(e.in) && e.in[e.pos] == ']' {
		e.pos++
		e.out = append(e.out, ']')
		e.depth--
		return nil
	}
	for {
		e.skipSpace()
		if err := e.value(); err != nil {
			return err
		}
		e.skipSpace()
		if e.pos >= len(e.in) {
			return e.fail(ErrSyntax)
		}
		switch e.in[e.pos] {
		case ',':
			e.pos++
			e.out = append(e.out, ',')
		case ']':
			e.pos++
			e.out = append(e.out, ']')
			e.depth--
			return nil
		default:
			return e.fail(ErrSyntax)
		}
	}
}

func (e *encoder) object() error {
	if err := e.enter(); err != nil {
		return err
	}
	e.pos++
	bodyStart := len(e.out) + 1
	e.out = append(e.out, '{')
	base, keysBase := len(e.members), len(e.keys)
	e.skipSpace()
	if e.pos < len(e.in) && e.in[e.pos] == '}' {
		e.pos++
		e.out = append(e.out, '}')
		e.depth--
		return nil
	}
	for {
		e.skipSpace()
		if e.pos >= len(e.in) || e.in[e.pos] != '"' {
			return e.fail(ErrSyntax)
		}
		e.pos++
		start := len(e.out)
		keyStart := len(e.keys)
		var err error
		if e.keys, err = e.decodeString(e.keys); err != nil {
			return err
		}
		e.out = appendValidString(e.out, e.keys[keyStart:])
		e.skipSpace()
		if e.pos >= len(e.in) || e.in[e.pos] != ':' {
			return e.fail(ErrSyntax)
		}
		e.pos++
		e.out = append(e.out, ':')
		e.skipSpace()
		if err := e.value(); err != nil {
			return err
		}
		e.members = append(e.members, member{keyStart, len(e.keys), start, len(e.out)})
		e.skipSpace()
		if e.pos >= len(e.in) {
			return e.fail(ErrSyntax)
		}
		if e.in[e.pos] == ',' {
			e.pos++
			e.out = append(e.out, ',')
			continue
		}
		if e.in[e.pos] != '}' {
			return e.fail(ErrSyntax)
		}
		e.pos++
		break
	}
	if ms := e.members[base:]; !e.sorted(ms) {
		if err := e.reorder(bodyStart, ms); err != nil {
			return err
		}
	}
	e.out = append(e.out, '}')
	e.members, e.keys = e.members[:base], e.keys[:keysBase]
	e.depth--
	return nil
}

func (e *encoder) key(m member) []byte { return e.keys[m.keyStart:m.keyEnd] }

// sorted reports whether the keys strictly increase. Byte order of UTF-8 is
// Unicode code point order, which is the order the spec asks for.
func (e *encoder) sorted(ms []member) bool {
	for i := 1; i < len(ms); i++ {
		if bytes.Compare(e.key(ms[i-1]), e.key(ms[i])) >= 0 {
			return false
		}
	}
	return true
}

// reorder rewrites the members of the object whose body starts at
// out[bodyStart] in key order, dropping all but the last of repeated keys
// (or failing in strict mode).
func (e *encoder) reorder(bodyStart int, ms []member) error {
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(e.key(a), e.key(b)) })
	e.scratch = append(e.scratch[:0], e.out[bodyStart:]...)
	e.out = e.out[:bodyStart]
	first := true
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(e.key(m), e.key(ms[i+1])) {
			if e.strict {
				return e.fail(fmt.Errorf("%w %q", ErrDuplicateKey, e.key(m)))
			}
			continue
		}
		if !first {
			e.out = append(e.out, ',')
		}
		first = false
		e.out = append(e.out, e.scratch[m.start-bodyStart:m.end-bodyStart]...)
	}
	return nil
}
