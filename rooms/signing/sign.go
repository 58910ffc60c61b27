package signing

import (
	"crypto/ed25519"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
)

// parts is a JSON object split the way "Signing Details" needs it: the
// members that are signed, and the signatures and unsigned members, which
// are not (nil when absent).
type parts struct {
	signed     []canonical.Member
	signatures []byte
	unsigned   []byte
}

// split canonicalises object (leniently: room-version strictness is checked
// where events are parsed) and separates the unsigned parts.
func split(object []byte) (parts, error) {
	canon, err := canonical.Canonicalize(object)
	if err != nil {
		return parts{}, err
	}
	members, err := canonical.Members(canon)
	if err != nil {
		return parts{}, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	p := parts{signed: members[:0]}
	for _, m := range members {
		switch m.Key {
		case "signatures":
			p.signatures = m.Value
		case "unsigned":
			p.unsigned = m.Value
		default:
			p.signed = append(p.signed, m)
		}
	}
	return p, nil
}

// SigningBytes is the canonical JSON of object without its signatures and
// unsigned members: the bytes a signature covers (appendices.md "Signing
// Details"), and, for a redacted event, the input of the reference hash
// (server-server-api.md "Calculating the reference hash for an event").
func SigningBytes(object []byte) ([]byte, error) {
	p, err := split(object)
	if err != nil {
		return nil, err
	}
	return canonical.AppendObject(nil, p.signed), nil
}

// SignJSON signs object as serverName with key (appendices.md "Signing
// JSON"): the canonical JSON of object without signatures and unsigned is
// signed, and object is returned in canonical form with the signature added
// under signatures[serverName][key.ID], keeping the other signatures and
// unsigned as they were.
func SignJSON(object []byte, serverName string, key KeyPair) ([]byte, error) {
	if len(key.Private) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: key %s has no private part", ErrSeed, key.ID)
	}
	if _, err := ParseKeyID(string(key.ID)); err != nil {
		return nil, err
	}
	p, err := split(object)
	if err != nil {
		return nil, err
	}
	signed := canonical.AppendObject(nil, p.signed)
	signature := ed25519.Sign(key.Private, signed)
	value := canonical.AppendString(nil, EncodeBase64(signature))

	signatures, err := setSignature(p.signatures, serverName, key.ID, value)
	if err != nil {
		return nil, err
	}
	out := append(p.signed, canonical.Member{Key: "signatures", Value: signatures})
	if p.unsigned != nil {
		out = append(out, canonical.Member{Key: "unsigned", Value: p.unsigned})
	}
	return canonical.AppendObject(make([]byte, 0, len(signed)+len(signatures)+len(p.unsigned)+32), out), nil
}

// setSignature returns the signatures object with signatures[server][id]
// set to value (the JSON string of the signature).
func setSignature(signatures []byte, server string, id KeyID, value []byte) ([]byte, error) {
	var servers []canonical.Member
	if signatures != nil {
		var err error
		if servers, err = canonical.Members(signatures); err != nil {
			return nil, fmt.Errorf("%w: signatures: %w", ErrNotObject, err)
		}
	}
	var keys []canonical.Member
	for _, s := range servers {
		if s.Key == server {
			var err error
			if keys, err = canonical.Members(s.Value); err != nil {
				return nil, fmt.Errorf("%w: signatures[%q]: %w", ErrNotObject, server, err)
			}
		}
	}
	keys = append(keys, canonical.Member{Key: string(id), Value: value})
	entry := canonical.AppendObject(nil, keys)
	servers = append(servers, canonical.Member{Key: server, Value: entry})
	return canonical.AppendObject(nil, servers), nil
}
