package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/signing"
)

// KeyResponse is a verified /_matrix/key/v2/server response
// (data/api/server-server/keys_server.yaml).
type KeyResponse struct {
	ServerName    string
	ValidUntilTS  int64
	VerifyKeys    map[signing.KeyID]ed25519.PublicKey
	OldVerifyKeys map[signing.KeyID]OldKey
	// Raw is the response exactly as received, signatures included.
	Raw []byte
}

// OldKey is an entry of old_verify_keys: usable only for events signed
// before ExpiredTS (server-server-api "Publishing Keys").
type OldKey struct {
	Public    ed25519.PublicKey
	ExpiredTS int64
}

type keyJSON struct {
	Key       string `json:"key"`
	ExpiredTS int64  `json:"expired_ts"`
}

type keyResponseJSON struct {
	ServerName    string             `json:"server_name"`
	ValidUntilTS  int64              `json:"valid_until_ts"`
	VerifyKeys    map[string]keyJSON `json:"verify_keys"`
	OldVerifyKeys map[string]keyJSON `json:"old_verify_keys"`
}

// maxKeysPerResponse bounds what one response can make us store.
const maxKeysPerResponse = 64

// ParseKeyResponse decodes a key response claimed to be server's and checks
// it: server_name is server, every key is 32 bytes of base64 under a valid
// key ID, and the response carries at least one signature by server, every
// one of which is by a key in verify_keys and verifies.
func ParseKeyResponse(raw []byte, server string) (*KeyResponse, error) {
	var j keyResponseJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeyResponse, err)
	}
	if j.ServerName != server {
		return nil, fmt.Errorf("%w: server_name %q, expected %q", ErrBadKeyResponse, j.ServerName, server)
	}
	if len(j.VerifyKeys)+len(j.OldVerifyKeys) > maxKeysPerResponse {
		return nil, fmt.Errorf("%w: more than %d keys", ErrBadKeyResponse, maxKeysPerResponse)
	}
	r := &KeyResponse{ServerName: server, ValidUntilTS: j.ValidUntilTS, Raw: raw,
		VerifyKeys: map[signing.KeyID]ed25519.PublicKey{}, OldVerifyKeys: map[signing.KeyID]OldKey{}}
	for id, k := range j.VerifyKeys {
		kid, pub, err := decodeKey(id, k.Key)
		if err != nil {
			return nil, err
		}
		r.VerifyKeys[kid] = pub
	}
	for id, k := range j.OldVerifyKeys {
		kid, pub, err := decodeKey(id, k.Key)
		if err != nil {
			return nil, err
		}
		r.OldVerifyKeys[kid] = OldKey{Public: pub, ExpiredTS: k.ExpiredTS}
	}
	if err := verifySignedBy(raw, server, r.VerifyKeys); err != nil {
		return nil, err
	}
	return r, nil
}

// verifySignedBy checks that object carries at least one signature by
// server and that each of them is by one of keys and verifies.
func verifySignedBy(object []byte, server string, keys map[signing.KeyID]ed25519.PublicKey) error {
	sigs, err := signing.Signatures(object)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyResponse, err)
	}
	if len(sigs[server]) == 0 {
		return fmt.Errorf("%w: not signed by %s", ErrBadKeyResponse, server)
	}
	for id := range sigs[server] {
		pub, ok := keys[id]
		if !ok {
			return fmt.Errorf("%w: signed by %s with unknown key %s", ErrBadKeyResponse, server, id)
		}
		if err := signing.VerifyJSON(object, server, id, pub); err != nil {
			return fmt.Errorf("%w: signature %s of %s: %w", ErrBadSignature, id, server, err)
		}
	}
	return nil
}

func decodeKey(id, b64 string) (signing.KeyID, ed25519.PublicKey, error) {
	kid, err := signing.ParseKeyID(id)
	if err != nil {
		return "", nil, fmt.Errorf("%w: key ID %q: %w", ErrBadKeyResponse, id, err)
	}
	pub, err := signing.DecodeBase64(b64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return "", nil, fmt.Errorf("%w: key %s is not base64 of 32 bytes", ErrBadKeyResponse, id)
	}
	return kid, ed25519.PublicKey(pub), nil
}

// stored turns a verified response into the rows the keyring keeps.
func (r *KeyResponse) stored() map[signing.KeyID]StoredKey {
	out := make(map[signing.KeyID]StoredKey, len(r.VerifyKeys)+len(r.OldVerifyKeys))
	for id, k := range r.OldVerifyKeys {
		out[id] = StoredKey{Public: k.Public, ExpiredTS: k.ExpiredTS, Response: r.Raw}
	}
	for id, pub := range r.VerifyKeys {
		out[id] = StoredKey{Public: pub, ValidUntilTS: r.ValidUntilTS, Response: r.Raw}
	}
	return out
}
