package canonical

import (
	"errors"
	"fmt"
)

// ErrNotString reports a JSON value that is not a string where one is
// required.
var ErrNotString = errors.New("canonical: not a JSON string")

// Unquote decodes value, the raw JSON of one string such as a Member's
// Value, into a Go string.
func Unquote(value []byte) (string, error) {
	i := skipSpace(value, 0)
	if i >= len(value) || value[i] != '"' {
		return "", ErrNotString
	}
	// Most strings have no escapes: decode into a buffer sized for them.
	s, end, err := decodeString(make([]byte, 0, len(value)), value, i+1)
	if err != nil {
		return "", fmt.Errorf("%w at offset %d", err, end)
	}
	if skipSpace(value, end) != len(value) {
		return "", fmt.Errorf("%w at offset %d", ErrSyntax, end)
	}
	return string(s), nil
}
