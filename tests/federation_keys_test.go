package tests

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// freeAddr reserves a loopback port for a federation listener whose address
// other servers must know before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	// A port found free on 127.0.0.1 can be taken by any other listener
	// before the server binds it again. An address of its own in 127/8
	// (all loopback on Linux) leaves the port to this caller alone.
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("127.%d.%d.%d", b[0]%254+1, b[1], b[2]%253+2)
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeNamedCert writes a self-signed certificate for name; the file is its
// own CA file for the servers that talk to it.
func writeNamedCert(t *testing.T, certPath, keyPath, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{name},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certPath, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM
}

type fedServer struct {
	name string
	cfg  *configs.Config
	cert []byte
	srv  *homeserver.Server
}

// fedConfigs prepares one configuration per name, each reaching the others
// through federation_addresses and trusting their certificates through
// federation_ca_file (plus extraCA).
func fedConfigs(t *testing.T, extraCA []byte, extraAddrs map[string]string, names ...string) []*fedServer {
	t.Helper()
	root := t.TempDir()
	addrs := map[string]string{}
	for k, v := range extraAddrs {
		addrs[k] = v
	}
	var servers []*fedServer
	var caPEM []byte
	for _, name := range names {
		cfg := testConfig(t, filepath.Join(root, name))
		cfg.ServerName = name
		cfg.Listeners.Federation = freeAddr(t)
		addrs[name] = cfg.Listeners.Federation
		cert := writeNamedCert(t, cfg.Listeners.TLSCert, cfg.Listeners.TLSKey, name)
		caPEM = append(caPEM, cert...)
		servers = append(servers, &fedServer{name: name, cfg: cfg, cert: cert})
	}
	caPEM = append(caPEM, extraCA...)
	caFile := filepath.Join(root, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		s.cfg.FederationAddresses = addrs
		s.cfg.FederationCAFile = caFile
	}
	return servers
}

// Two Axon servers fetch each other's keys over federation (TLS checked
// against the CA file), a third fetches one's keys through the other as a
// notary, and the published keys verify with crypto/ed25519 alone.
func TestFederationKeysBetweenAxonServers(t *testing.T) {
	fs := fedConfigs(t, nil, nil, "hs-a.test", "hs-b.test", "hs-c.test")
	a, b, c := fs[0], fs[1], fs[2]
	a.srv = startServer(t, a.cfg)
	b.srv = startServer(t, b.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Independent check of a's published keys.
	status, body, err := b.srv.FederationClient().Do(ctx, "GET", "hs-a.test", "/_matrix/key/v2/server", nil, false)
	if err != nil || status != 200 {
		t.Fatalf("GET a's keys: %d %v", status, err)
	}
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	keyID := a.srv.SigningKeyID()
	pubB64 := resp["verify_keys"].(map[string]any)[keyID].(map[string]any)["key"].(string)
	sigB64 := resp["signatures"].(map[string]any)["hs-a.test"].(map[string]any)[keyID].(string)
	delete(resp, "signatures")
	msg, err := canonical.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	rawPub, _ := signing.DecodeBase64(pubB64)
	pub := ed25519.PublicKey(rawPub)
	sig, _ := signing.DecodeBase64(sigB64)
	if resp["server_name"] != "hs-a.test" || !ed25519.Verify(pub, msg, sig) {
		t.Fatal("a's key response does not verify independently")
	}

	now := time.Now().UnixMilli()
	if got, _, err := b.srv.Keyring().VerifyKey(ctx, "hs-a.test", signing.KeyID(keyID), now); err != nil || !got.Equal(pub) {
		t.Fatalf("b fetching a's key: %v", err)
	}
	var bPub ed25519.PublicKey
	if bPub, _, err = a.srv.Keyring().VerifyKey(ctx, "hs-b.test", signing.KeyID(b.srv.SigningKeyID()), now); err != nil {
		t.Fatalf("a fetching b's key: %v", err)
	}

	// c trusts a as its notary, pinned to a's key, and cannot reach b.
	c.cfg.FederationAddresses = map[string]string{"hs-a.test": a.cfg.Listeners.Federation, "hs-b.test": "127.0.0.1:1"}
	c.cfg.TrustedKeyServers = []configs.TrustedKeyServer{{ServerName: "hs-a.test", VerifyKeys: map[string]string{keyID: pubB64}}}
	c.srv = startServer(t, c.cfg)
	got, _, err := c.srv.Keyring().VerifyKey(ctx, "hs-b.test", signing.KeyID(b.srv.SigningKeyID()), now)
	if err != nil || !got.Equal(bPub) {
		t.Fatalf("c fetching b's key through a: %v", err)
	}
}

// X-Matrix between Axon and fake peers: a peer's signed request reaches an
// Axon endpoint that needs authentication only after Axon fetched the
// peer's key; Axon's own signed transaction reaches the peer, which
// verifies it with a keyring fetching Axon's key over federation.
func TestFederationXMatrixWithFakePeers(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeer("peer.test")
	if err != nil {
		t.Fatal(err)
	}
	fs := fedConfigs(t, hub.CAPEM(), map[string]string{"peer.test": hub.Addr()}, "hs-a.test")
	a := fs[0]
	a.srv = startServer(t, a.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The peer's keyring reaches Axon through a client that trusts a's
	// certificate.
	roots, err := federation.LoadRootCAs(a.cert)
	if err != nil {
		t.Fatal(err)
	}
	peerClient := federation.NewClient(federation.ClientConfig{ServerName: "peer.test", Key: peer.Key, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: map[string]string{"hs-a.test": a.cfg.Listeners.Federation}})})
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{Fetcher: peerClient}))

	txn := json.RawMessage(`{"origin":"hs-a.test","origin_server_ts":1,"pdus":[],"edus":[]}`)
	if _, err := a.srv.FederationClient().SendTransaction(ctx, "peer.test", "t1", txn); err != nil {
		t.Fatalf("Axon → peer: %v", err)
	}
	if txns := peer.Transactions(); len(txns) != 1 || txns[0].Origin != "hs-a.test" {
		t.Fatalf("peer recorded %+v", txns)
	}
	// Axon learns the peer's key over federation.
	pub, _, err := a.srv.Keyring().VerifyKey(ctx, "peer.test", peer.Key.ID, time.Now().UnixMilli())
	if err != nil || !pub.Equal(peer.Key.Public) {
		t.Fatalf("Axon fetching the peer's key: %v", err)
	}
	// The notary endpoint serves the peer's keys countersigned by Axon.
	status, body, err := peerClient.Do(ctx, "POST", "hs-a.test", "/_matrix/key/v2/query",
		[]byte(`{"server_keys":{"peer.test":{}}}`), false)
	if err != nil || status != 200 {
		t.Fatalf("notary query: %d %v", status, err)
	}
	var q struct {
		ServerKeys []json.RawMessage `json:"server_keys"`
	}
	if err := json.Unmarshal(body, &q); err != nil || len(q.ServerKeys) != 1 {
		t.Fatalf("notary answer %s", body)
	}
	aPub, _, err := a.srv.Keyring().VerifyKey(ctx, "hs-a.test", signing.KeyID(a.srv.SigningKeyID()), time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.VerifyJSON(q.ServerKeys[0], "hs-a.test", signing.KeyID(a.srv.SigningKeyID()), aPub); err != nil {
		t.Errorf("notary countersignature: %v", err)
	}
	if err := signing.VerifyJSON(q.ServerKeys[0], "peer.test", peer.Key.ID, peer.Key.Public); err != nil {
		t.Errorf("origin signature: %v", err)
	}
	// Version, unauthenticated.
	status, body, err = peerClient.Do(ctx, "GET", "hs-a.test", "/_matrix/federation/v1/version", nil, false)
	if err != nil || status != 200 || !json.Valid(body) {
		t.Fatalf("version: %d %s %v", status, body, err)
	}
}
