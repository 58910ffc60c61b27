package fedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/signing"
)

// One hub serves IP-literal peers on several loopback addresses; a
// Receiver gets each new transaction once (resends are deduplicated), with
// the X-Matrix signature checked on the sampled ones, and a forged one is
// refused and counted.
func TestReceiverAndExtraListeners(t *testing.T) {
	hub, err := NewHub("127.0.4.1:0")
	if err != nil {
		t.Skipf("127.0.4.1 not usable here: %v", err)
	}
	defer hub.Close()
	_, port, _ := net.SplitHostPort(hub.Addr())
	names := []string{"127.0.4.1:" + port, "127.0.4.2:" + port, "127.0.4.3:" + port}
	for _, n := range names[1:] {
		host, _, _ := net.SplitHostPort(n)
		if err := hub.Listen(net.JoinHostPort(host, port)); err != nil {
			t.Skipf("%s not usable here: %v", n, err)
		}
	}
	for _, n := range names {
		if _, err := hub.AddPeer(n); err != nil {
			t.Fatal(err)
		}
	}
	key, err := signing.GenerateKey("s")
	if err != nil {
		t.Fatal(err)
	}
	roots, err := federation.LoadRootCAs(hub.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	c := federation.NewClient(federation.ClientConfig{ServerName: "sender.example", Key: key, RootCAs: roots})
	resp, _, err := federation.NewPublisher("sender.example", key, nil, 0, nil).Response()
	if err != nil {
		t.Fatal(err)
	}
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{Fetcher: staticKeys{resp}}))
	hub.SetVerifySample(2)
	var mu sync.Mutex
	got := map[string][]string{}
	verified := 0
	hub.SetReceiver(func(p *Peer, txnID, origin string, body []byte, v bool) {
		mu.Lock()
		defer mu.Unlock()
		got[p.Name] = append(got[p.Name], txnID+" "+string(body))
		if v {
			verified++
		}
		if origin != "sender.example" {
			t.Errorf("origin %q", origin)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, n := range names {
		for _, id := range []string{"a", "a", "b"} {
			body := json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
			if _, err := c.SendTransaction(ctx, n, id, body); err != nil {
				t.Fatalf("%s %s: %v", n, id, err)
			}
		}
	}
	mu.Lock()
	for i, n := range names {
		want := fmt.Sprintf(`{"n":%d}`, i)
		if g := got[n]; len(g) != 2 || g[0] != "a "+want || g[1] != "b "+want {
			t.Errorf("%s received %q", n, g)
		}
	}
	if verified < 2 || verified > 5 {
		t.Errorf("%d of 9 requests verified with a sample of one in two", verified)
	}
	mu.Unlock()
	p, _ := hub.Peer(names[0])
	if p.Received() != 3 || len(p.Transactions()) != 0 {
		t.Errorf("received %d (want 3 with the resend), logged %d (want none with a receiver)", p.Received(), len(p.Transactions()))
	}
	hub.SetVerifySample(1)
	status, _, err := p.Do(ctx, hub.Addr(), names[1], "PUT", sendPrefix+"forged", []byte(`{}`), `X-Matrix origin="sender.example",key="ed25519:s",sig="AAAA"`)
	if err != nil || status != 401 || hub.Rejected() != 1 {
		t.Errorf("forged request: %d %v, rejected %d", status, err, hub.Rejected())
	}
}

// staticKeys serves one server's key response.
type staticKeys struct{ resp []byte }

func (s staticKeys) FetchServerKeys(context.Context, string) ([]byte, error) { return s.resp, nil }

func (s staticKeys) QueryNotary(context.Context, string, []byte) ([]byte, error) {
	return nil, federation.ErrKeyNotFound
}

// A CA written with CAKeyPEM issues the certificates of a later hub, so a
// server told to trust it once keeps trusting the hubs of later runs.
func TestHubWithCAReloads(t *testing.T) {
	first, err := NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pem := first.CAKeyPEM()
	first.Close()
	hub, err := NewHubWithCA("127.0.0.1:0", pem)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	if string(hub.CAPEM()) != string(pem[:len(hub.CAPEM())]) {
		t.Fatal("the reloaded hub has another CA")
	}
	if _, err := hub.AddPeer("again.example"); err != nil {
		t.Fatal(err)
	}
	c := newSender(t, hub.Overrides(), pem) // trusts only what the first hub's CA signs
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.SendTransaction(ctx, "again.example", "1", json.RawMessage(`{"pdus":[]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHubWithCA("127.0.0.1:0", []byte("not a CA")); err == nil {
		t.Error("a garbage CA was accepted")
	}
}
