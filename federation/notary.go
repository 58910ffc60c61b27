package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/signing"
)

// KeyCriteria is one server's entry in a POST /_matrix/key/v2/query: key
// ID → minimum_valid_until_ts (0: not given). An empty map asks for all
// keys.
type KeyCriteria map[signing.KeyID]int64

type notaryQuery struct {
	ServerKeys map[string]map[string]notaryCriterion `json:"server_keys"`
}

type notaryCriterion struct {
	MinimumValidUntilTS int64 `json:"minimum_valid_until_ts,omitempty"`
}

type notaryResponse struct {
	ServerKeys []json.RawMessage `json:"server_keys"`
}

// maxNotaryResponses bounds how many key responses one notary answer may
// carry.
const maxNotaryResponses = 100

// fetchViaNotary asks notary n for server's key keyID and stores every
// response that both n and server signed. found reports whether keyID,
// valid at atTS, was among them.
func (k *Keyring) fetchViaNotary(ctx context.Context, n TrustedNotary, server string, keyID signing.KeyID, atTS int64) (bool, error) {
	q := notaryQuery{ServerKeys: map[string]map[string]notaryCriterion{
		server: {string(keyID): {MinimumValidUntilTS: atTS}},
	}}
	body, err := json.Marshal(q)
	if err != nil {
		return false, fmt.Errorf("federation: encoding notary query: %w", err)
	}
	raw, err := k.cfg.Fetcher.QueryNotary(ctx, n.ServerName, body)
	if err != nil {
		return false, err
	}
	var resp notaryResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return false, fmt.Errorf("%w: notary answer: %w", ErrBadKeyResponse, err)
	}
	if len(resp.ServerKeys) > maxNotaryResponses {
		return false, fmt.Errorf("%w: notary answer holds %d responses", ErrBadKeyResponse, len(resp.ServerKeys))
	}
	found := false
	var firstErr error
	for _, one := range resp.ServerKeys {
		if err := k.checkNotarySignature(ctx, n, one); err != nil {
			firstErr = err
			continue
		}
		r, err := ParseKeyResponse(one, server)
		if err != nil {
			firstErr = err
			continue
		}
		if err := k.store(r); err != nil {
			return found, err
		}
		found = found || holds(r, keyID, atTS)
	}
	if !found && firstErr != nil {
		return false, firstErr
	}
	return found, nil
}

// checkNotarySignature verifies that n signed a response it relayed, with
// its configured keys or, when none are configured, the keys it publishes.
func (k *Keyring) checkNotarySignature(ctx context.Context, n TrustedNotary, resp []byte) error {
	keys := n.VerifyKeys
	if len(keys) == 0 {
		sigs, err := signing.Signatures(resp)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadKeyResponse, err)
		}
		keys = map[signing.KeyID]ed25519.PublicKey{}
		for id := range sigs[n.ServerName] {
			pub, err := k.RequestKey(ctx, n.ServerName, id)
			if err != nil {
				return err
			}
			keys[id] = pub
		}
	}
	return verifySignedBy(resp, n.ServerName, keys)
}

// NotaryResponses answers a notary query for server: key responses that
// hold the keys asked for and are valid until each key's
// minimum_valid_until_ts (the current time where 0; with no keys named,
// minAll or the current time applies to all), countersigned by this
// server. Cached responses are served when fresh enough; otherwise server is
// asked directly, and if it cannot be reached the cached ones are served
// anyway (keys_query.yaml: keys of servers that are offline come from the
// cache). An empty result means nothing is known.
func (k *Keyring) NotaryResponses(ctx context.Context, server string, criteria KeyCriteria, minAll int64) ([]json.RawMessage, error) {
	self := k.cfg.Self
	if self == nil {
		return nil, fmt.Errorf("federation: keyring has no publisher to sign with")
	}
	if server == self.ServerName() {
		resp, _, err := self.Response()
		if err != nil {
			return nil, err
		}
		return []json.RawMessage{resp}, nil
	}
	now := k.cfg.Now().UnixMilli()
	if len(criteria) == 0 && minAll > now {
		now = minAll
	}
	responses, err := k.cachedResponses(server, criteria, now)
	if err != nil {
		return nil, err
	}
	if responses == nil {
		ferr := k.flight.do(ctx, server+"\x00*", func() error {
			fctx, cancel := context.WithTimeout(context.Background(), k.cfg.FetchTimeout)
			defer cancel()
			_, err := k.fetchDirect(fctx, server)
			return err
		})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if ferr == nil {
			responses, err = k.cachedResponses(server, criteria, now)
		} else {
			responses, err = k.cachedResponses(server, nil, -1)
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]json.RawMessage, 0, len(responses))
	for _, r := range responses {
		signed, err := self.Countersign(r)
		if err != nil {
			return nil, err
		}
		out = append(out, signed)
	}
	return out, nil
}

// cachedResponses returns the distinct stored responses of server that
// satisfy criteria at now, or nil when some asked-for key has none. With
// now < 0 every stored response of the asked-for keys (or all) counts.
func (k *Keyring) cachedResponses(server string, criteria KeyCriteria, now int64) ([][]byte, error) {
	keys, err := k.cfg.Store.ServerKeys(server)
	if err != nil {
		return nil, fmt.Errorf("federation: reading cached keys of %s: %w", server, err)
	}
	minFor := func(id signing.KeyID) int64 {
		if m := criteria[id]; m > 0 {
			return m
		}
		return now
	}
	seen := map[string]bool{}
	var out [][]byte
	add := func(sk StoredKey) {
		if len(sk.Response) > 0 && !seen[string(sk.Response)] {
			seen[string(sk.Response)] = true
			out = append(out, sk.Response)
		}
	}
	if len(criteria) == 0 {
		for _, sk := range keys {
			if now < 0 || (!sk.Old() && sk.ValidUntilTS >= now) {
				add(sk)
			}
		}
		if now >= 0 && len(out) == 0 {
			return nil, nil
		}
		return nonNil(out), nil
	}
	for id := range criteria {
		sk, ok := keys[id]
		if !ok || (now >= 0 && sk.LastValid() < minFor(id)) {
			if now >= 0 {
				return nil, nil
			}
			continue
		}
		add(sk)
	}
	return nonNil(out), nil
}

func nonNil(b [][]byte) [][]byte {
	if b == nil {
		return [][]byte{}
	}
	return b
}
