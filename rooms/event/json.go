package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/version"
)

// canonicalize returns raw in canonical JSON, strictly checked in room
// versions that require it (rooms/fragments/v1-canonical-json.md and
// v6-canonical-json.md).
func canonicalize(raw []byte, v version.Spec) ([]byte, error) {
	var out []byte
	var err error
	if v.StrictCanonicalJSON {
		out, err = canonical.CanonicalizeStrict(raw)
	} else {
		out, err = canonical.Canonicalize(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	if len(out) == 0 || out[0] != '{' {
		return nil, ErrNotObject
	}
	return out, nil
}

// topMembers canonicalises an event and splits it into its top-level
// members.
func topMembers(raw []byte, v version.Spec) ([]canonical.Member, error) {
	canon, err := canonicalize(raw, v)
	if err != nil {
		return nil, err
	}
	return objectMembers(canon, "event")
}

// objectMembers splits a canonical JSON value into object members; what
// names the value in errors.
func objectMembers(value []byte, what string) ([]canonical.Member, error) {
	if len(value) == 0 || value[0] != '{' {
		return nil, fmt.Errorf("%w: %s is not an object", ErrFieldType, what)
	}
	members, err := canonical.Members(value)
	if err != nil {
		if errors.Is(err, canonical.ErrNotObject) {
			return nil, fmt.Errorf("%w: %s", ErrNotObject, what)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrBadJSON, what, err)
	}
	return members, nil
}

// member returns the value of key among members, or nil.
func member(members []canonical.Member, key string) []byte {
	for _, m := range members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// stringMember returns the string value of key; ok is false when it is
// absent or not a string.
func stringMember(members []canonical.Member, key string) (s string, ok bool) {
	value := member(members, key)
	if value == nil {
		return "", false
	}
	s, err := decodeString(value)
	return s, err == nil
}

// decodeString decodes a JSON string value. Strings without escapes, the
// common case, are copied without a decoder.
func decodeString(value []byte) (string, error) {
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return "", ErrFieldType
	}
	inner := value[1 : len(value)-1]
	if !containsByte(inner, '\\') {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return "", fmt.Errorf("%w: %w", ErrFieldType, err)
	}
	return s, nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// decodeInt decodes a canonical JSON integer that fits in an int64.
func decodeInt(value []byte) (int64, error) {
	if len(value) == 0 || (value[0] != '-' && (value[0] < '0' || value[0] > '9')) {
		return 0, ErrFieldType
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, ErrFieldValue
		}
		return 0, ErrFieldType // a float, kept as such by lenient canonical JSON
	}
	return n, nil
}

// identifier decodes a string property holding an identifier: at most
// MaxIDBytes bytes and, when sigil is not 0, starting with it.
func identifier(key string, value []byte, sigil byte) (string, error) {
	s, err := decodeString(value)
	if err != nil {
		return "", fmt.Errorf("%w: %s must be a string", ErrFieldType, key)
	}
	if len(s) > MaxIDBytes {
		return "", fmt.Errorf("%w: %s is %d bytes, limit %d", ErrFieldTooLong, key, len(s), MaxIDBytes)
	}
	if sigil != 0 && !strings.HasPrefix(s, string(sigil)) {
		return "", fmt.Errorf("%w: %s must start with %q", ErrFieldValue, key, sigil)
	}
	return s, nil
}

// arrayItems splits a canonical JSON array (already validated by the
// canonical encoder) into its items; key names the property in errors.
func arrayItems(key string, value []byte) ([][]byte, error) {
	if len(value) < 2 || value[0] != '[' || value[len(value)-1] != ']' {
		return nil, fmt.Errorf("%w: %s must be an array", ErrFieldType, key)
	}
	body := value[1 : len(value)-1]
	if len(body) == 0 {
		return nil, nil
	}
	var items [][]byte
	depth, start, inString := 0, 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, body[start:i])
				start = i + 1
			}
		}
	}
	return append(items, body[start:]), nil
}

// appendObject is canonical.AppendObject into a buffer sized for the result,
// so that building an event does not regrow it several times.
func appendObject(members []canonical.Member) []byte {
	n := 2
	for _, m := range members {
		n += len(m.Key) + len(m.Value) + 4 // quotes, colon, comma; escapes are rare
	}
	return canonical.AppendObject(make([]byte, 0, n), members)
}
