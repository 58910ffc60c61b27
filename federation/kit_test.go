package federation_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/signing"
)

// publisherFetcher answers key fetches from in-process publishers and
// notary keyrings, counting calls.
type publisherFetcher struct {
	servers map[string]*federation.Publisher
	notary  map[string]*federation.Keyring
	direct  atomic.Int32
	down    map[string]bool
}

func (f *publisherFetcher) FetchServerKeys(_ context.Context, server string) ([]byte, error) {
	f.direct.Add(1)
	time.Sleep(5 * time.Millisecond) // let concurrent callers pile up
	p, ok := f.servers[server]
	if !ok || f.down[server] {
		return nil, errors.New("unreachable")
	}
	b, _, err := p.Response()
	return b, err
}

func (f *publisherFetcher) QueryNotary(ctx context.Context, notary string, body []byte) ([]byte, error) {
	k, ok := f.notary[notary]
	if !ok {
		return nil, errors.New("no such notary")
	}
	var q struct {
		ServerKeys map[string]map[string]struct {
			Min int64 `json:"minimum_valid_until_ts"`
		} `json:"server_keys"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		return nil, err
	}
	out := []json.RawMessage{}
	for server, ids := range q.ServerKeys {
		c := federation.KeyCriteria{}
		for id, m := range ids {
			c[signing.KeyID(id)] = m.Min
		}
		rs, err := k.NotaryResponses(ctx, server, c, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return json.Marshal(map[string]any{"server_keys": out})
}

func newKey(t testing.TB, v string) signing.KeyPair {
	t.Helper()
	k, err := signing.GenerateKey(v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyringDirectAndSingleFlight(t *testing.T) {
	remoteKey := newKey(t, "r1")
	remote := federation.NewPublisher("remote.example", remoteKey, nil, 0, nil)
	f := &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote}}
	kr := federation.NewKeyring(federation.KeyringConfig{
		Self:    federation.NewPublisher("self.example", newKey(t, "s1"), nil, 0, nil),
		Fetcher: f,
	})
	ctx := context.Background()
	now := time.Now().UnixMilli()
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			pub, until, err := kr.VerifyKey(ctx, "remote.example", remoteKey.ID, now)
			if err == nil && (!pub.Equal(remoteKey.Public) || until < now) {
				err = errors.New("wrong key or validity")
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := f.direct.Load(); n != 1 {
		t.Errorf("%d fetches for 20 concurrent lookups, want 1", n)
	}
	if _, _, err := kr.VerifyKey(ctx, "remote.example", "ed25519:nope", now); !errors.Is(err, federation.ErrKeyNotFound) {
		t.Errorf("unknown key ID: %v", err)
	}
	if _, _, err := kr.VerifyKey(ctx, "remote.example", remoteKey.ID, now+2*federation.DefaultKeyValidity.Milliseconds()); !errors.Is(err, federation.ErrKeyExpired) {
		t.Errorf("key asked for after valid_until_ts: %v", err)
	}
	if _, _, err := kr.VerifyKey(ctx, "unknown.example", "ed25519:x", now); !errors.Is(err, federation.ErrKeyNotFound) {
		t.Errorf("unreachable server: %v", err)
	}
}

func TestKeyringOldKeysVerifyEventsNotRequests(t *testing.T) {
	oldKey := newKey(t, "old")
	expired := time.Now().Add(-time.Hour).UnixMilli()
	remote := federation.NewPublisher("remote.example", newKey(t, "new"),
		[]federation.RetiredKey{{ID: oldKey.ID, Public: oldKey.Public, ExpiredTS: expired}}, 0, nil)
	kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote}}})
	ctx := context.Background()
	if _, _, err := kr.VerifyKey(ctx, "remote.example", oldKey.ID, expired-1000); err != nil {
		t.Errorf("old key for an event before expired_ts: %v", err)
	}
	if _, _, err := kr.VerifyKey(ctx, "remote.example", oldKey.ID, expired+1); !errors.Is(err, federation.ErrKeyExpired) {
		t.Errorf("old key after expired_ts: %v", err)
	}
	if _, err := kr.RequestKey(ctx, "remote.example", oldKey.ID); !errors.Is(err, federation.ErrKeyExpired) {
		t.Errorf("old key for a request: %v", err)
	}
}

func TestKeyringThroughNotary(t *testing.T) {
	remoteKey := newKey(t, "r1")
	remote := federation.NewPublisher("remote.example", remoteKey, nil, 0, nil)
	notaryKey := newKey(t, "n1")
	notaryPub := federation.NewPublisher("notary.example", notaryKey, nil, 0, nil)
	// The notary can reach remote; we cannot.
	notary := federation.NewKeyring(federation.KeyringConfig{Self: notaryPub,
		Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote}}})
	ours := &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote},
		down: map[string]bool{"remote.example": true}, notary: map[string]*federation.Keyring{"notary.example": notary}}

	for _, tc := range []struct {
		name     string
		trusted  map[signing.KeyID]ed25519.PublicKey
		wantFail bool
	}{
		{"configured notary key", map[signing.KeyID]ed25519.PublicKey{notaryKey.ID: notaryKey.Public}, false},
		{"wrong configured notary key", map[signing.KeyID]ed25519.PublicKey{notaryKey.ID: newKey(t, "x").Public}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: ours,
				Notaries: []federation.TrustedNotary{{ServerName: "notary.example", VerifyKeys: tc.trusted}}})
			pub, _, err := kr.VerifyKey(context.Background(), "remote.example", remoteKey.ID, time.Now().UnixMilli())
			if tc.wantFail {
				if err == nil {
					t.Fatal("accepted keys countersigned by an untrusted key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(remoteKey.Public) {
				t.Error("wrong key through notary")
			}
		})
	}
}

func TestPublisherResignsWhenStale(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := federation.NewPublisher("self.example", newKey(t, "a"), nil, time.Hour, func() time.Time { return now })
	first, until, err := p.Response()
	if err != nil {
		t.Fatal(err)
	}
	if until != now.Add(time.Hour).UnixMilli() {
		t.Errorf("valid_until_ts = %d", until)
	}
	now = now.Add(20 * time.Minute)
	if again, _, _ := p.Response(); string(again) != string(first) {
		t.Error("re-signed before half the validity passed")
	}
	now = now.Add(11 * time.Minute)
	if again, until2, _ := p.Response(); string(again) == string(first) || until2 <= until {
		t.Error("not re-signed after half the validity passed")
	}
}

// peerClient is a client of axon.example that trusts hub's peers.
func peerClient(t *testing.T, hub *fedtest.Hub) *federation.Client {
	t.Helper()
	selfKey := newKey(t, "s1")
	self := federation.NewPublisher("axon.example", selfKey, nil, 0, nil)
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{
		Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"axon.example": self}}}))
	roots, err := federation.LoadRootCAs(hub.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	return federation.NewClient(federation.ClientConfig{ServerName: "axon.example", Key: selfKey, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()})})
}

// The outbound client signs a transaction that a fake peer verifies with a
// keyring, over TLS checked against the hub's CA.
func TestClientSendTransactionToPeer(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeer("peer.example")
	if err != nil {
		t.Fatal(err)
	}
	selfKey := newKey(t, "s1")
	self := federation.NewPublisher("axon.example", selfKey, nil, 0, nil)
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{
		Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"axon.example": self}}}))
	roots, err := federation.LoadRootCAs(hub.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	c := federation.NewClient(federation.ClientConfig{ServerName: "axon.example", Key: selfKey, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()})})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := json.RawMessage(`{"origin":"axon.example","origin_server_ts":1,"pdus":[],"edus":[{"edu_type":"m.typing","content":{}}]}`)
	for range 2 { // a resend is recorded once
		if _, err := c.SendTransaction(ctx, "peer.example", "txn/1 é", body); err != nil {
			t.Fatal(err)
		}
	}
	txns := peer.Transactions()
	if len(txns) != 1 || txns[0].TxnID != "txn/1 é" || txns[0].Origin != "axon.example" || len(txns[0].EDUs) != 1 {
		t.Fatalf("peer recorded %+v", txns)
	}
	if peer.Received() != 2 {
		t.Errorf("received %d, want 2", peer.Received())
	}
	// Keys straight from the peer, verified by the keyring.
	kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: c})
	pub, _, err := kr.VerifyKey(ctx, "peer.example", peer.Key.ID, time.Now().UnixMilli())
	if err != nil || !pub.Equal(peer.Key.Public) {
		t.Fatalf("peer key via federation: %v", err)
	}
	// A failing peer's error is decoded.
	peer.FailWith(503)
	var rerr *federation.Error
	if _, err := c.SendTransaction(ctx, "peer.example", "2", body); !errors.As(err, &rerr) || rerr.Status != 503 {
		t.Errorf("failing peer: %v", err)
	}
	peer.FailWith(0)
	// A hanging peer runs into the caller's deadline.
	peer.Hang()
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := c.SendTransaction(short, "peer.example", "3", body); err == nil {
		t.Error("hanging peer answered")
	}
	peer.Release()
	// A certificate from an unknown CA is refused.
	strict := federation.NewClient(federation.ClientConfig{ServerName: "axon.example", Key: selfKey,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()})})
	if _, err := strict.SendTransaction(ctx, "peer.example", "4", body); err == nil {
		t.Error("accepted a certificate no configured CA signed")
	}
}

// Many destinations through a client allowed three connections: every
// request succeeds, idle connections to earlier destinations give way, and
// no more than three are ever open.
func TestClientBoundsConnections(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	const n = 12
	for i := range n {
		if _, err := hub.AddPeer(fmt.Sprintf("d%d.example", i)); err != nil {
			t.Fatal(err)
		}
	}
	roots, _ := federation.LoadRootCAs(hub.CAPEM())
	c := federation.NewClient(federation.ClientConfig{ServerName: "axon.example", Key: newKey(t, "s"), RootCAs: roots,
		MaxConns: 3, MaxInFlight: 3,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()})})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan error, n)
	peak := atomic.Int64{}
	for i := range n {
		go func() {
			_, err := c.SendTransaction(ctx, fmt.Sprintf("d%d.example", i), "1", json.RawMessage(`{"pdus":[]}`))
			if open := int64(c.OpenConns()); open > peak.Load() {
				peak.Store(open)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("%d connections open at once, bound is 3", p)
	}
}

// A destination that accepts connections and never answers the TLS
// handshake costs a request no more than its context allows.
func TestClientHandshakeWithinDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	c := federation.NewClient(federation.ClientConfig{ServerName: "axon.example", Key: newKey(t, "s"),
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: map[string]string{"silent.example": ln.Addr().String()}})})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.SendTransaction(ctx, "silent.example", "1", json.RawMessage(`{"pdus":[]}`))
	if err == nil {
		t.Fatal("a transaction to a server that never completes the handshake succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request took %v against a 300 ms deadline: %v", took, err)
	}
}
