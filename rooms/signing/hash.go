package signing

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
)

// ContentHash is the SHA-256 of the canonical JSON of event without its
// unsigned, signatures and hashes members (server-server-api.md "Calculating
// the content hash for an event").
func ContentHash(event []byte) ([32]byte, error) {
	members, err := eventMembers(event)
	if err != nil {
		return [32]byte{}, err
	}
	kept := members[:0]
	for _, m := range members {
		if m.Key != "unsigned" && m.Key != "signatures" && m.Key != "hashes" {
			kept = append(kept, m)
		}
	}
	return sha256.Sum256(canonical.AppendObject(nil, kept)), nil
}

// AddContentHash returns event in canonical form with hashes set to
// {"sha256": <unpadded base64 content hash>} (server-server-api.md "Adding
// hashes and signatures to outgoing events").
func AddContentHash(event []byte) ([]byte, error) {
	hash, err := ContentHash(event)
	if err != nil {
		return nil, err
	}
	members, err := eventMembers(event)
	if err != nil {
		return nil, err
	}
	hashes := append([]byte(`{"sha256":`), canonical.AppendString(nil, EncodeBase64(hash[:]))...)
	hashes = append(hashes, '}')
	members = append(members, canonical.Member{Key: "hashes", Value: hashes})
	return canonical.AppendObject(make([]byte, 0, len(event)+len(hashes)+16), members), nil
}

// CheckContentHash compares event's hashes.sha256 with its content hash
// (server-server-api.md "Validating hashes and signatures on received
// events"). ErrContentHashMismatch means the event was redacted or altered.
func CheckContentHash(event []byte) error {
	members, err := eventMembers(event)
	if err != nil {
		return err
	}
	var claimed []byte
	for _, m := range members {
		if m.Key != "hashes" {
			continue
		}
		hashes, err := canonical.Members(m.Value)
		if err != nil {
			return fmt.Errorf("%w: hashes: %w", ErrNoContentHash, err)
		}
		for _, h := range hashes {
			if h.Key == "sha256" {
				s, err := canonical.Unquote(h.Value)
				if err != nil {
					return fmt.Errorf("%w: %w", ErrNoContentHash, err)
				}
				if claimed, err = DecodeBase64(s); err != nil {
					return fmt.Errorf("%w: %w", ErrContentHashMismatch, err)
				}
			}
		}
	}
	if claimed == nil {
		return ErrNoContentHash
	}
	hash, err := ContentHash(event)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(claimed, hash[:]) != 1 {
		return ErrContentHashMismatch
	}
	return nil
}

func eventMembers(event []byte) ([]canonical.Member, error) {
	canon, err := canonical.Canonicalize(event)
	if err != nil {
		return nil, err
	}
	members, err := canonical.Members(canon)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	return members, nil
}
