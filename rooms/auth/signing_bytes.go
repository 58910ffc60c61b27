package auth

import (
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
)

// signingBytes returns the bytes a signature over a JSON object covers: the
// object without "signatures" and "unsigned", in canonical JSON
// (appendices "Signing JSON"). The only object this package verifies is a
// third-party invite's signed block.
func signingBytes(raw json.RawMessage) ([]byte, error) {
	canon, err := canonical.Canonicalize(raw)
	if err != nil {
		return nil, fmt.Errorf("signed block: %w", err)
	}
	members, err := canonical.Members(canon)
	if err != nil {
		return nil, fmt.Errorf("signed block: %w", err)
	}
	kept := members[:0]
	for _, m := range members {
		if m.Key != "signatures" && m.Key != "unsigned" {
			kept = append(kept, m)
		}
	}
	return canonical.AppendObject(nil, kept), nil
}
