package federation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	axhttp "github.com/axonhs/axon/http"
	httpfed "github.com/axonhs/axon/http/federation"
	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// node is one federation listener assembled from this package's handlers
// and the federation package, as the homeserver assembles it.
type node struct {
	name    string
	key     signing.KeyPair
	keyring *federation.Keyring
	client  *federation.Client
	addr    string
}

const echoPath = "/_matrix/federation/v1/test/echo/"

// startNode serves name on loopback TLS. addrs is the shared override map
// (server name → address), filled in as nodes start; notaries are trusted
// key servers.
func startNode(t *testing.T, name string, addrs map[string]string, clock func() time.Time, notaries ...federation.TrustedNotary) *node {
	t.Helper()
	key, err := signing.GenerateKey("n1")
	if err != nil {
		t.Fatal(err)
	}
	pub := federation.NewPublisher(name, key, nil, 0, clock)
	client := federation.NewClient(federation.ClientConfig{ServerName: name, Key: key, InsecureSkipVerify: true,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: addrs, LookupSRV: noDNS})})
	kr := federation.NewKeyring(federation.KeyringConfig{Self: pub, Fetcher: client, Notaries: notaries})
	api := httpfed.New(httpfed.Config{ServerName: name, Keys: pub, Keyring: kr, Version: "test"})
	rt := axhttp.NewRouter(zap.NewNop(), nil)
	api.Mount(rt)
	echo := api.Authenticated(func(ctx *fasthttp.RequestCtx, origin string) error {
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"origin": origin})
		return nil
	})
	rt.Handle(fasthttp.MethodGet, echoPath+"{x}", axhttp.Route{}, echo)
	rt.Handle(fasthttp.MethodPut, echoPath+"{x}", axhttp.Route{}, echo)
	srv := axhttp.NewServer("Axon", rt, 1<<20, zap.NewNop())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MinVersion: tls.VersionTLS12})
	go func() { _ = srv.Serve(tlsLn) }()
	t.Cleanup(func() { _ = srv.Shutdown(); _ = tlsLn.Close() })
	addrs[name] = ln.Addr().String()
	return &node{name: name, key: key, keyring: kr, client: client, addr: ln.Addr().String()}
}

// noDNS keeps the tests off real DNS: every name they use is overridden.
func noDNS(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "DNS disabled in tests", IsNotFound: true}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// Key publication, checked without our signing package: decode, strip
// signatures, canonicalise, crypto/ed25519.Verify.
func TestServerKeysVerifyIndependently(t *testing.T) {
	addrs := map[string]string{}
	a := startNode(t, "a.example", addrs, nil)
	b := startNode(t, "b.example", addrs, nil)
	status, body, err := b.client.Do(context.Background(), "GET", "a.example", "/_matrix/key/v2/server", nil, false)
	if err != nil || status != 200 {
		t.Fatalf("GET keys: %d %v", status, err)
	}
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp["server_name"] != "a.example" {
		t.Errorf("server_name = %v", resp["server_name"])
	}
	until := int64(resp["valid_until_ts"].(float64))
	if d := time.Until(time.UnixMilli(until)); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("valid_until_ts is %v from now, want a day", d)
	}
	vk := resp["verify_keys"].(map[string]any)[string(a.key.ID)].(map[string]any)["key"].(string)
	sig := resp["signatures"].(map[string]any)["a.example"].(map[string]any)[string(a.key.ID)].(string)
	delete(resp, "signatures")
	msg, err := canonical.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := signing.DecodeBase64(vk)
	rawSig, _ := signing.DecodeBase64(sig)
	if !ed25519.Verify(ed25519.PublicKey(pub), msg, rawSig) {
		t.Fatal("published key response does not verify with crypto/ed25519")
	}
}

func TestKeysDirectAndThroughNotary(t *testing.T) {
	addrs := map[string]string{}
	a := startNode(t, "a.example", addrs, nil)
	b := startNode(t, "b.example", addrs, nil)
	ctx := context.Background()
	now := time.Now().UnixMilli()
	if pub, _, err := a.keyring.VerifyKey(ctx, "b.example", b.key.ID, now); err != nil || !pub.Equal(b.key.Public) {
		t.Fatalf("a fetching b's key: %v", err)
	}
	if pub, _, err := b.keyring.VerifyKey(ctx, "a.example", a.key.ID, now); err != nil || !pub.Equal(a.key.Public) {
		t.Fatalf("b fetching a's key: %v", err)
	}
	// c cannot reach b, but trusts a as a notary.
	cAddrs := map[string]string{"a.example": addrs["a.example"], "b.example": "127.0.0.1:1"}
	c := startNode(t, "c.example", cAddrs, nil, federation.TrustedNotary{ServerName: "a.example",
		VerifyKeys: map[signing.KeyID]ed25519.PublicKey{a.key.ID: a.key.Public}})
	if pub, _, err := c.keyring.VerifyKey(ctx, "b.example", b.key.ID, now); err != nil || !pub.Equal(b.key.Public) {
		t.Fatalf("c fetching b's key through a: %v", err)
	}
	// The GET form of the notary answers too, countersigned by a.
	status, body, err := c.client.Do(ctx, "GET", "a.example", "/_matrix/key/v2/query/b.example", nil, false)
	if err != nil || status != 200 {
		t.Fatalf("GET query: %d %v", status, err)
	}
	var q struct {
		ServerKeys []json.RawMessage `json:"server_keys"`
	}
	if err := json.Unmarshal(body, &q); err != nil || len(q.ServerKeys) != 1 {
		t.Fatalf("GET query body %s", body)
	}
	if err := signing.VerifyJSON(q.ServerKeys[0], "a.example", a.key.ID, a.key.Public); err != nil {
		t.Errorf("notary signature: %v", err)
	}
	if err := signing.VerifyJSON(q.ServerKeys[0], "b.example", b.key.ID, b.key.Public); err != nil {
		t.Errorf("origin signature: %v", err)
	}
	// A minimum validity beyond anything b publishes: a refetches from b,
	// still falls short, and answers with no keys.
	far := time.Now().Add(72 * time.Hour).UnixMilli()
	_, body, _ = c.client.Do(ctx, "GET", "a.example", "/_matrix/key/v2/query/b.example?minimum_valid_until_ts="+itoa(far), nil, false)
	if err := json.Unmarshal(body, &q); err != nil || len(q.ServerKeys) != 0 {
		t.Errorf("keys valid until %d: %s", far, body)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestXMatrixRoundTripAndRefusals(t *testing.T) {
	addrs := map[string]string{}
	a := startNode(t, "a.example", addrs, nil)
	b := startNode(t, "b.example", addrs, nil)
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeer("peer.example")
	if err != nil {
		t.Fatal(err)
	}
	addrs["peer.example"] = hub.Addr()
	addrs["nobody.example"] = "127.0.0.1:1" // nothing listens there
	stale := startNode(t, "stale.example", addrs, func() time.Time { return time.Now().Add(-72 * time.Hour) })
	ctx := context.Background()

	// Axon to Axon through the client.
	var out struct{ Origin string }
	if err := a.client.Put(ctx, "b.example", echoPath+"x%2Fy", map[string]int{"n": 1}, &out); err != nil || out.Origin != "a.example" {
		t.Fatalf("a → b: %v %+v", err, out)
	}
	// A fake peer to Axon.
	uri := echoPath + "z"
	body := []byte(`{"n":1}`)
	status, resp, err := peer.Do(ctx, b.addr, "b.example", "PUT", uri, body, "")
	if err != nil || status != 200 {
		t.Fatalf("peer → b: %d %s %v", status, resp, err)
	}

	sign := func(key signing.KeyPair, origin, dest, method, uri string, body []byte) string {
		h, err := federation.SignRequest(key, origin, dest, method, uri, body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	otherKey, _ := signing.GenerateKey(peer.Key.ID.Version())
	for _, tc := range []struct {
		name, auth, uri string
		body            []byte
	}{
		{"wrong key", sign(otherKey, "peer.example", "b.example", "PUT", uri, body), uri, body},
		{"wrong destination", sign(peer.Key, "peer.example", "a.example", "PUT", uri, body), uri, body},
		{"altered body", sign(peer.Key, "peer.example", "b.example", "PUT", uri, body), uri, []byte(`{"n":2}`)},
		{"altered URI", sign(peer.Key, "peer.example", "b.example", "PUT", uri, body), uri + "?x=1", body},
		{"expired key", sign(stale.key, "stale.example", "b.example", "PUT", uri, body), uri, body},
		{"unknown server", sign(peer.Key, "nobody.example", "b.example", "PUT", uri, body), uri, body},
		{"unknown key ID", sign(signing.KeyPair{ID: "ed25519:zz", Private: otherKey.Private, Public: otherKey.Public}, "peer.example", "b.example", "PUT", uri, body), uri, body},
		{"garbage header", "X-Matrix origin=", uri, body},
		{"invalid origin", sign(peer.Key, "bad origin!", "b.example", "PUT", uri, body), uri, body},
		{"bearer token", "Bearer abc", uri, body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, resp, err := peer.Do(ctx, b.addr, "b.example", "PUT", tc.uri, tc.body, tc.auth)
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Errcode, Error string }
			_ = json.Unmarshal(resp, &e)
			if status != 401 || e.Errcode != "M_UNAUTHORIZED" || e.Error == "" {
				t.Errorf("got %d %s, want 401 M_UNAUTHORIZED", status, resp)
			}
		})
	}
}
