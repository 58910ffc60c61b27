package fedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

func newSender(t *testing.T, overrides map[string]string, ca []byte) *federation.Client {
	t.Helper()
	key, err := signing.GenerateKey("s")
	if err != nil {
		t.Fatal(err)
	}
	roots, err := federation.LoadRootCAs(ca)
	if err != nil {
		t.Fatal(err)
	}
	return federation.NewClient(federation.ClientConfig{ServerName: "sender.example", Key: key, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: overrides})})
}

// One hub serves many peers, each with its own key and transaction log,
// told apart by the Host header; TLS verifies against the hub's CA.
func TestHubServesManyPeers(t *testing.T) {
	hub, err := NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	const n = 20
	peers := make([]*Peer, n)
	for i := range peers {
		if peers[i], err = hub.AddPeer(fmt.Sprintf("p%d.example", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hub.AddPeer("p0.example"); err == nil {
		t.Error("added a peer twice")
	}
	c := newSender(t, hub.Overrides(), hub.CAPEM())
	kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: c})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, p := range peers {
		body := json.RawMessage(fmt.Sprintf(`{"origin":"sender.example","origin_server_ts":1,"pdus":[],"edus":[{"n":%d}]}`, i))
		if _, err := c.SendTransaction(ctx, p.Name, "t", body); err != nil {
			t.Fatal(err)
		}
		pub, _, err := kr.VerifyKey(ctx, p.Name, p.Key.ID, time.Now().UnixMilli())
		if err != nil || !pub.Equal(p.Key.Public) {
			t.Fatalf("%s key: %v", p.Name, err)
		}
	}
	for i, p := range peers {
		txns := p.Transactions()
		if len(txns) != 1 || string(txns[0].EDUs[0]) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("%s recorded %+v", p.Name, txns)
		}
	}
}

// An IP-literal name is served by a hub on its own loopback address, with a
// certificate for that IP.
func TestHubIPLiteralPeer(t *testing.T) {
	hub, err := NewHub("127.0.1.7:0")
	if err != nil {
		t.Skipf("127.0.1.7 not usable here: %v", err)
	}
	defer hub.Close()
	_, port, _ := net.SplitHostPort(hub.Addr())
	name := "127.0.1.7:" + port
	p, err := hub.AddPeer(name)
	if err != nil {
		t.Fatal(err)
	}
	// No override: discovery step 1 dials the IP literal itself.
	c := newSender(t, nil, hub.CAPEM())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.SendTransaction(ctx, name, "1", json.RawMessage(`{"pdus":[]}`)); err != nil {
		t.Fatal(err)
	}
	if len(p.Transactions()) != 1 {
		t.Fatal("IP-literal peer recorded nothing")
	}
}

func TestPeerHangsUntilReleased(t *testing.T) {
	hub, err := NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	p, _ := hub.AddPeer("slow.example")
	c := newSender(t, hub.Overrides(), hub.CAPEM())
	p.Hang()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.SendTransaction(ctx, "slow.example", "1", json.RawMessage(`{"pdus":[]}`))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("answered while hanging: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	p.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.WaitTransactions(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestPeerBuildsSignedEvents(t *testing.T) {
	hub, err := NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	p, _ := hub.AddPeer("builder.example")
	v, err := version.Lookup("10")
	if err != nil {
		t.Fatal(err)
	}
	sk := ""
	ev, err := p.BuildEvent(v, event.Proto{RoomID: "!r:builder.example", Type: "m.room.create", StateKey: &sk,
		Sender: "@u:builder.example", Content: json.RawMessage(`{"room_version":"10"}`), Depth: 1, OriginServerTS: 1})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := signing.Signatures(ev.Raw)
	if err != nil || sigs["builder.example"][p.Key.ID] == "" {
		t.Fatalf("event not signed by the peer: %v %s", err, ev.Raw)
	}
}
