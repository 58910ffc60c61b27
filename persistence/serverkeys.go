package persistence

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// prefixServerKey is the family of remote servers' keys (keys.go lists it).
const prefixServerKey byte = 'S'

// ServerKey is a remote server's signing key as last verified, with the key
// response that carried it so that a notary can serve it again.
type ServerKey struct {
	// Key is the unpadded base64 ed25519 public key.
	Key string `json:"key"`
	// ValidUntilTS is the response's valid_until_ts (ms) for a current key.
	ValidUntilTS int64 `json:"valid_until_ts"`
	// ExpiredTS is set (ms) for a key listed in old_verify_keys.
	ExpiredTS int64 `json:"expired_ts,omitempty"`
	// Response is the signed /_matrix/key/v2/server response as received.
	Response json.RawMessage `json:"response,omitempty"`
}

func serverKeyPrefix(server string) []byte {
	return appendComponent([]byte{prefixServerKey}, server)
}

func serverKeyKey(server, keyID string) []byte {
	return appendComponent(serverKeyPrefix(server), keyID)
}

// ServerKey returns server's key keyID; ErrNotFound if none is stored.
func (s *Store) ServerKey(server, keyID string) (ServerKey, error) {
	var k ServerKey
	if len(server) > maxKeyComponentBytes || len(keyID) > maxKeyComponentBytes {
		return k, ErrNotFound
	}
	err := s.getJSON(serverKeyKey(server, keyID), &k)
	return k, err
}

// ServerKeys returns every stored key of server by key ID.
func (s *Store) ServerKeys(server string) (map[string]ServerKey, error) {
	if len(server) > maxKeyComponentBytes {
		return nil, ErrKeyTooLong
	}
	prefix := serverKeyPrefix(server)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating server keys: %w", err)
	}
	out := map[string]ServerKey{}
	for ok := it.First(); ok; ok = it.Next() {
		id := it.Key()[len(prefix):]
		if len(id) < 2 {
			continue
		}
		var k ServerKey
		if err := json.Unmarshal(it.Value(), &k); err != nil {
			it.Close()
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		out[string(id[2:])] = k
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("persistence: iterating server keys: %w", err)
	}
	return out, nil
}

// PutServerKeys stores keys of server (key ID → key) in one batch. A row
// already stored is replaced only by one that is valid for longer, so a
// stale response fetched late cannot shorten what a fresher one proved.
func (s *Store) PutServerKeys(server string, keys map[string]ServerKey) error {
	if len(server) > maxKeyComponentBytes {
		return ErrKeyTooLong
	}
	b := s.db.NewBatch()
	defer b.Close()
	for id, k := range keys {
		if len(id) > maxKeyComponentBytes {
			return ErrKeyTooLong
		}
		if old, err := s.ServerKey(server, id); err == nil && lastValid(old) > lastValid(k) {
			continue
		}
		v, err := json.Marshal(k)
		if err != nil {
			return fmt.Errorf("persistence: encoding server key: %w", err)
		}
		if err := b.Set(serverKeyKey(server, id), v, nil); err != nil {
			return fmt.Errorf("persistence: storing server key: %w", err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("persistence: storing server keys: %w", err)
	}
	return nil
}

// lastValid is the last millisecond a key row vouches for.
func lastValid(k ServerKey) int64 {
	if k.ExpiredTS != 0 {
		return k.ExpiredTS
	}
	return k.ValidUntilTS
}
