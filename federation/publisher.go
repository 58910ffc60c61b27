package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// DefaultKeyValidity is how far ahead valid_until_ts is set: one day, as
// Synapse's key_refresh_interval. Short enough that a rotated key stops being
// trusted by others within a day, long enough that peers refetch rarely.
const DefaultKeyValidity = 24 * time.Hour

// RetiredKey is one of this server's old keys, published in
// old_verify_keys.
type RetiredKey struct {
	ID        signing.KeyID
	Public    ed25519.PublicKey
	ExpiredTS int64
}

// Publisher holds this server's keys and serves its signed
// /_matrix/key/v2/server response (server-server-api "Publishing Keys").
// The response is built once and re-signed when half of its validity has
// passed, so every copy a peer receives is valid for at least half the
// period.
type Publisher struct {
	name     string
	key      signing.KeyPair
	old      []RetiredKey
	validity time.Duration
	now      func() time.Time

	mu         sync.Mutex
	resp       []byte
	signedAt   int64
	validUntil int64
}

// NewPublisher returns the publisher of server name with signing key key and
// retired keys old. validity 0 means DefaultKeyValidity; now nil means
// time.Now.
func NewPublisher(name string, key signing.KeyPair, old []RetiredKey, validity time.Duration, now func() time.Time) *Publisher {
	if validity <= 0 {
		validity = DefaultKeyValidity
	}
	if now == nil {
		now = time.Now
	}
	return &Publisher{name: name, key: key, old: old, validity: validity, now: now}
}

// ServerName is the server the keys belong to.
func (p *Publisher) ServerName() string { return p.name }

// Key is the current signing key.
func (p *Publisher) Key() signing.KeyPair { return p.key }

// Response returns the signed key response and its valid_until_ts. The
// slice is shared: callers must not modify it.
func (p *Publisher) Response() ([]byte, int64, error) {
	now := p.now().UnixMilli()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resp != nil && now-p.signedAt < p.validity.Milliseconds()/2 {
		return p.resp, p.validUntil, nil
	}
	validUntil := now + p.validity.Milliseconds()
	body := map[string]any{
		"server_name":    p.name,
		"valid_until_ts": validUntil,
		"verify_keys":    map[string]any{string(p.key.ID): map[string]string{"key": p.key.PublicBase64()}},
	}
	old := map[string]any{}
	for _, k := range p.old {
		old[string(k.ID)] = map[string]any{"key": signing.EncodeBase64(k.Public), "expired_ts": k.ExpiredTS}
	}
	body["old_verify_keys"] = old
	raw, err := canonical.Marshal(body)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: encoding key response: %w", err)
	}
	signed, err := signing.SignJSON(raw, p.name, p.key)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: signing key response: %w", err)
	}
	p.resp, p.signedAt, p.validUntil = signed, now, validUntil
	return signed, validUntil, nil
}

// lookup answers for this server's own keys without a network round trip.
func (p *Publisher) lookup(id signing.KeyID) (StoredKey, bool) {
	if id == p.key.ID {
		_, until, err := p.Response()
		if err != nil {
			until = p.now().UnixMilli() + p.validity.Milliseconds()
		}
		return StoredKey{Public: p.key.Public, ValidUntilTS: until}, true
	}
	for _, k := range p.old {
		if k.ID == id {
			return StoredKey{Public: k.Public, ExpiredTS: k.ExpiredTS}, true
		}
	}
	return StoredKey{}, false
}

// Countersign adds this server's signature to another server's key
// response, as a notary does (server-server-api "Querying Keys Through
// Another Server").
func (p *Publisher) Countersign(resp []byte) (json.RawMessage, error) {
	signed, err := signing.SignJSON(resp, p.name, p.key)
	if err != nil {
		return nil, fmt.Errorf("federation: countersigning key response: %w", err)
	}
	return signed, nil
}
