package signing

import (
	"crypto/ed25519"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
)

// VerifyJSON checks that object carries a valid signature by serverName with
// the key keyID, whose public half is public (appendices.md "Checking for a
// Signature", steps 1 and 4 to 7; looking up the key, steps 2 and 3, is the
// caller's). Errors: ErrNoSignature when there is no such signature,
// ErrMalformedSignature when it is not base64 of 64 bytes, ErrBadSignature
// when it does not verify, ErrPublicKey for a bad key, and canonical errors
// for bad JSON.
func VerifyJSON(object []byte, serverName string, keyID KeyID, public ed25519.PublicKey) error {
	if len(public) != ed25519.PublicKeySize {
		return fmt.Errorf("%w, got %d", ErrPublicKey, len(public))
	}
	p, err := split(object)
	if err != nil {
		return err
	}
	value, err := lookupSignature(p.signatures, serverName, keyID)
	if err != nil {
		return err
	}
	signature, err := decodeSignature(value)
	if err != nil {
		return err
	}
	if !ed25519.Verify(public, canonical.AppendObject(nil, p.signed), signature) {
		return fmt.Errorf("%w: %s %s", ErrBadSignature, serverName, keyID)
	}
	return nil
}

func lookupSignature(signatures []byte, server string, id KeyID) ([]byte, error) {
	if signatures == nil {
		return nil, fmt.Errorf("%w: no signatures", ErrNoSignature)
	}
	servers, err := canonical.Members(signatures)
	if err != nil {
		return nil, fmt.Errorf("%w: signatures: %w", ErrNotObject, err)
	}
	for _, s := range servers {
		if s.Key != server {
			continue
		}
		keys, err := canonical.Members(s.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: signatures[%q]: %w", ErrNotObject, server, err)
		}
		for _, k := range keys {
			if k.Key == string(id) {
				return k.Value, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: by %s with %s", ErrNoSignature, server, id)
}

func decodeSignature(value []byte) ([]byte, error) {
	s, err := canonical.Unquote(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	signature, err := DecodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	if len(signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformedSignature, len(signature))
	}
	return signature, nil
}

// Signatures lists the signatures object carries: server name to key ID to
// the base64 signature. Entries whose key ID does not parse or whose value
// is not a string are left out, since no verifier could check them.
func Signatures(object []byte) (map[string]map[KeyID]string, error) {
	p, err := split(object)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[KeyID]string)
	if p.signatures == nil {
		return out, nil
	}
	servers, err := canonical.Members(p.signatures)
	if err != nil {
		return nil, fmt.Errorf("%w: signatures: %w", ErrNotObject, err)
	}
	for _, s := range servers {
		keys, err := canonical.Members(s.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: signatures[%q]: %w", ErrNotObject, s.Key, err)
		}
		for _, k := range keys {
			id, err := ParseKeyID(k.Key)
			if err != nil {
				continue
			}
			sig, err := canonical.Unquote(k.Value)
			if err != nil {
				continue
			}
			if out[s.Key] == nil {
				out[s.Key] = make(map[KeyID]string)
			}
			out[s.Key][id] = sig
		}
	}
	return out, nil
}
