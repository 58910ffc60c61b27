package canonical

import "errors"

var (
	// ErrSyntax reports input that is not JSON (RFC 8259).
	ErrSyntax = errors.New("canonical: invalid JSON")
	// ErrFloat reports a number with a fraction or exponent in strict mode.
	ErrFloat = errors.New("canonical: number with fraction or exponent")
	// ErrIntegerRange reports an integer outside [-(2**53)+1, (2**53)-1] in
	// strict mode.
	ErrIntegerRange = errors.New("canonical: integer out of range")
	// ErrNumberRange reports, in lenient mode, a fraction or exponent number
	// too large for an IEEE double.
	ErrNumberRange = errors.New("canonical: number too large")
	// ErrDuplicateKey reports an object with the same key twice in strict mode.
	ErrDuplicateKey = errors.New("canonical: duplicate object key")
	// ErrInvalidUTF8 reports a string (or any byte of the input) that is not
	// valid UTF-8.
	ErrInvalidUTF8 = errors.New("canonical: invalid UTF-8")
	// ErrLoneSurrogate reports a \u escape of a UTF-16 surrogate that is not
	// part of a valid high/low pair.
	ErrLoneSurrogate = errors.New("canonical: lone UTF-16 surrogate")
	// ErrTooDeep reports arrays and objects nested deeper than MaxDepth.
	ErrTooDeep = errors.New("canonical: nesting too deep")
	// ErrNotObject reports a top-level value that is not an object where an
	// object is required.
	ErrNotObject = errors.New("canonical: not a JSON object")
)

// MaxDepth is how deeply arrays and objects may nest. Matrix events are at
// most 65536 bytes; this bounds the scanner's recursion well below what any
// legitimate event needs.
const MaxDepth = 512
