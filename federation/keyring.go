package federation

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/axonhs/axon/rooms/signing"
)

// KeyFetcher reaches other servers for their keys; *Client is one.
type KeyFetcher interface {
	// FetchServerKeys returns server's GET /_matrix/key/v2/server body.
	FetchServerKeys(ctx context.Context, server string) ([]byte, error)
	// QueryNotary returns notary's POST /_matrix/key/v2/query response body
	// for the given request body.
	QueryNotary(ctx context.Context, notary string, body []byte) ([]byte, error)
}

// TrustedNotary is one of trusted_key_servers. With no VerifyKeys its keys
// are fetched from it directly, trusting the TLS connection.
type TrustedNotary struct {
	ServerName string
	VerifyKeys map[signing.KeyID]ed25519.PublicKey
}

// KeyringConfig configures NewKeyring.
type KeyringConfig struct {
	Self     *Publisher
	Store    KeyStore
	Fetcher  KeyFetcher
	Notaries []TrustedNotary
	// CacheSize bounds the in-memory cache (entries); 0 means 10000.
	CacheSize int
	// FetchTimeout bounds one fetch of a server's keys, all sources
	// together; 0 means 30s.
	FetchTimeout time.Duration
	// RefetchAfter is how long a server whose keys were just fetched is not
	// asked again for a key it lacked; 0 means one minute.
	RefetchAfter time.Duration
	Now          func() time.Time
}

// Keyring answers "which public key did server mean by key ID at time t"
// for callers verifying requests and events. It looks in a bounded memory
// cache, then the KeyStore, then fetches: the server directly, then each
// trusted notary, with at most one fetch in flight per (server, key ID).
type Keyring struct {
	cfg    KeyringConfig
	flight flight

	mu      sync.RWMutex
	cache   map[keyRef]StoredKey
	fetched map[keyRef]int64 // last fetch attempt, ms
}

type keyRef struct {
	server string
	id     signing.KeyID
}

// NewKeyring returns a keyring.
func NewKeyring(cfg KeyringConfig) *Keyring {
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 30 * time.Second
	}
	if cfg.RefetchAfter <= 0 {
		cfg.RefetchAfter = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryKeyStore()
	}
	return &Keyring{cfg: cfg, cache: map[keyRef]StoredKey{}, fetched: map[keyRef]int64{}}
}

// VerifyKey returns server's public key keyID if it may verify a signature
// made at atTS (ms), with the last millisecond it vouches for: valid_until_ts
// for a current key, expired_ts for an old one. ErrKeyNotFound: nobody
// could tell us the key; ErrKeyExpired: the key is known but not valid at
// atTS.
func (k *Keyring) VerifyKey(ctx context.Context, server string, keyID signing.KeyID, atTS int64) (ed25519.PublicKey, int64, error) {
	sk, err := k.lookup(ctx, server, keyID, atTS, false)
	if err != nil {
		return nil, 0, err
	}
	return sk.Public, sk.LastValid(), nil
}

// RequestKey is VerifyKey for an X-Matrix request made now: only keys in
// verify_keys count, old_verify_keys verify events only
// (server-server-api "Publishing Keys").
func (k *Keyring) RequestKey(ctx context.Context, server string, keyID signing.KeyID) (ed25519.PublicKey, error) {
	sk, err := k.lookup(ctx, server, keyID, k.cfg.Now().UnixMilli(), true)
	if err != nil {
		return nil, err
	}
	return sk.Public, nil
}

func (k *Keyring) lookup(ctx context.Context, server string, keyID signing.KeyID, atTS int64, current bool) (StoredKey, error) {
	usable := func(sk StoredKey) bool { return sk.ValidAt(atTS) && !(current && sk.Old()) }
	if self := k.cfg.Self; self != nil && server == self.ServerName() {
		sk, ok := self.lookup(keyID)
		if !ok {
			return StoredKey{}, fmt.Errorf("%w: %s %s", ErrKeyNotFound, server, keyID)
		}
		if !usable(sk) {
			return StoredKey{}, fmt.Errorf("%w: %s %s", ErrKeyExpired, server, keyID)
		}
		return sk, nil
	}
	ref := keyRef{server, keyID}
	k.mu.RLock()
	sk, cached := k.cache[ref]
	k.mu.RUnlock()
	if cached && usable(sk) {
		return sk, nil
	}
	if !cached {
		var ok bool
		var err error
		if sk, ok, err = k.cfg.Store.ServerKey(server, keyID); err != nil {
			return StoredKey{}, fmt.Errorf("federation: reading cached key: %w", err)
		} else if ok {
			k.remember(ref, sk)
			cached = true
			if usable(sk) {
				return sk, nil
			}
		}
	}
	if k.recentlyFetched(ref) {
		// A fetch may have finished between the store read above and this
		// check; it stores its keys before it is marked, so what it found
		// is in the store now.
		if sk, ok, err := k.reread(ref, usable); ok || err != nil {
			return sk, err
		}
		return StoredKey{}, k.unusable(server, keyID, cached)
	}
	err := k.flight.do(ctx, server+"\x00"+string(keyID), func() error {
		return k.fetch(server, keyID, atTS)
	})
	if ctxErr := ctx.Err(); ctxErr != nil {
		return StoredKey{}, ctxErr
	}
	if sk, ok, rerr := k.reread(ref, usable); ok || rerr != nil {
		return sk, rerr
	}
	if err != nil {
		return StoredKey{}, fmt.Errorf("%w: %s %s: %w", ErrKeyNotFound, server, keyID, err)
	}
	return StoredKey{}, fmt.Errorf("%w: %s %s", ErrKeyNotFound, server, keyID)
}

// reread looks for ref in the store after a fetch. ok is false when the
// store does not hold it; a stored key that is not usable is ErrKeyExpired.
func (k *Keyring) reread(ref keyRef, usable func(StoredKey) bool) (StoredKey, bool, error) {
	sk, ok, err := k.cfg.Store.ServerKey(ref.server, ref.id)
	if err != nil || !ok {
		return StoredKey{}, false, nil
	}
	k.remember(ref, sk)
	if !usable(sk) {
		return StoredKey{}, true, fmt.Errorf("%w: %s %s", ErrKeyExpired, ref.server, ref.id)
	}
	return sk, true, nil
}

func (k *Keyring) unusable(server string, keyID signing.KeyID, known bool) error {
	if known {
		return fmt.Errorf("%w: %s %s", ErrKeyExpired, server, keyID)
	}
	return fmt.Errorf("%w: %s %s", ErrKeyNotFound, server, keyID)
}

// remember puts sk in the memory cache, evicting an arbitrary entry when
// full (Go's map order is random enough to spread evictions).
func (k *Keyring) remember(ref keyRef, sk StoredKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.cache[ref]; !ok && len(k.cache) >= k.cfg.CacheSize {
		for victim := range k.cache {
			delete(k.cache, victim)
			break
		}
	}
	k.cache[ref] = sk
}

func (k *Keyring) recentlyFetched(ref keyRef) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	at, ok := k.fetched[ref]
	return ok && k.cfg.Now().UnixMilli()-at < k.cfg.RefetchAfter.Milliseconds()
}

func (k *Keyring) markFetched(ref keyRef) {
	now := k.cfg.Now().UnixMilli()
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.fetched) >= k.cfg.CacheSize {
		for r, at := range k.fetched {
			if now-at >= k.cfg.RefetchAfter.Milliseconds() {
				delete(k.fetched, r)
			}
		}
		if len(k.fetched) >= k.cfg.CacheSize {
			for r := range k.fetched {
				delete(k.fetched, r)
				break
			}
		}
	}
	k.fetched[ref] = now
}

// fetch asks server itself, then each trusted notary, until one gives a
// response holding keyID valid at atTS, storing every verified response on
// the way.
func (k *Keyring) fetch(server string, keyID signing.KeyID, atTS int64) error {
	defer k.markFetched(keyRef{server, keyID})
	if k.cfg.Fetcher == nil {
		return ErrKeyNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.FetchTimeout)
	defer cancel()
	var errs []error
	resp, err := k.fetchDirect(ctx, server)
	if err == nil && holds(resp, keyID, atTS) {
		return nil
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("direct: %w", err))
	}
	for _, n := range k.cfg.Notaries {
		if n.ServerName == server {
			continue
		}
		found, err := k.fetchViaNotary(ctx, n, server, keyID, atTS)
		if err != nil {
			errs = append(errs, fmt.Errorf("notary %s: %w", n.ServerName, err))
			continue
		}
		if found {
			return nil
		}
	}
	return errors.Join(errs...)
}

func holds(r *KeyResponse, id signing.KeyID, atTS int64) bool {
	sk, ok := r.stored()[id]
	return ok && sk.ValidAt(atTS)
}

func (k *Keyring) fetchDirect(ctx context.Context, server string) (*KeyResponse, error) {
	raw, err := k.cfg.Fetcher.FetchServerKeys(ctx, server)
	if err != nil {
		return nil, err
	}
	resp, err := ParseKeyResponse(raw, server)
	if err != nil {
		return nil, err
	}
	if err := k.store(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

func (k *Keyring) store(resp *KeyResponse) error {
	rows := resp.stored()
	if err := k.cfg.Store.PutServerKeys(resp.ServerName, rows); err != nil {
		return fmt.Errorf("federation: storing keys of %s: %w", resp.ServerName, err)
	}
	k.mu.Lock()
	for id := range rows {
		delete(k.cache, keyRef{resp.ServerName, id})
	}
	k.mu.Unlock()
	return nil
}
