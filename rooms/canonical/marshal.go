package canonical

import (
	"encoding/json"
	"fmt"
)

// Marshal encodes v with encoding/json and canonicalises the result
// leniently. It is for code off the hot path (building events, requests); it
// does not enforce the strict rules, so callers building events for room
// versions 6 and later check with CanonicalizeStrict or keep their numbers in
// range.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical: marshal: %w", err)
	}
	return Canonicalize(raw)
}
