package federation

import (
	"crypto/ed25519"
	"sync"

	"github.com/axonhs/axon/rooms/signing"
)

// StoredKey is a remote key as the keyring keeps it.
type StoredKey struct {
	Public ed25519.PublicKey
	// ValidUntilTS (ms) is the valid_until_ts of the response that listed
	// the key in verify_keys.
	ValidUntilTS int64
	// ExpiredTS (ms) is set when the key came from old_verify_keys: such a
	// key verifies events from before it, never requests.
	ExpiredTS int64
	// Response is the signed key response that carried the key.
	Response []byte
}

// Old reports whether the key was listed in old_verify_keys.
func (k StoredKey) Old() bool { return k.ExpiredTS != 0 }

// LastValid is the last millisecond the key vouches for.
func (k StoredKey) LastValid() int64 {
	if k.Old() {
		return k.ExpiredTS
	}
	return k.ValidUntilTS
}

// ValidAt reports whether the key may verify a signature made at ts (ms).
func (k StoredKey) ValidAt(ts int64) bool {
	if k.Old() {
		return ts < k.ExpiredTS
	}
	return ts <= k.ValidUntilTS
}

// KeyStore is the durable key cache; homeserver adapts persistence.Store
// to it.
type KeyStore interface {
	// ServerKey returns server's key id; ok is false if none is stored.
	ServerKey(server string, id signing.KeyID) (k StoredKey, ok bool, err error)
	// ServerKeys returns every stored key of server.
	ServerKeys(server string) (map[signing.KeyID]StoredKey, error)
	// PutServerKeys stores keys of server, keeping a stored row that is
	// valid for longer than the new one.
	PutServerKeys(server string, keys map[signing.KeyID]StoredKey) error
}

// MemoryKeyStore is a KeyStore in memory, for tests and fake servers.
type MemoryKeyStore struct {
	mu   sync.Mutex
	keys map[string]map[signing.KeyID]StoredKey
}

// NewMemoryKeyStore returns an empty MemoryKeyStore.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: map[string]map[signing.KeyID]StoredKey{}}
}

// ServerKey implements KeyStore.
func (m *MemoryKeyStore) ServerKey(server string, id signing.KeyID) (StoredKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[server][id]
	return k, ok, nil
}

// ServerKeys implements KeyStore.
func (m *MemoryKeyStore) ServerKeys(server string) (map[signing.KeyID]StoredKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[signing.KeyID]StoredKey, len(m.keys[server]))
	for id, k := range m.keys[server] {
		out[id] = k
	}
	return out, nil
}

// PutServerKeys implements KeyStore.
func (m *MemoryKeyStore) PutServerKeys(server string, keys map[signing.KeyID]StoredKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	row := m.keys[server]
	if row == nil {
		row = map[signing.KeyID]StoredKey{}
		m.keys[server] = row
	}
	for id, k := range keys {
		if old, ok := row[id]; ok && old.LastValid() > k.LastValid() {
			continue
		}
		row[id] = k
	}
	return nil
}
