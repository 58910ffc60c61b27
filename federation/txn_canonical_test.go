package federation_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// The canonical fast path writes the canonical form of the transaction
// EncodeTransaction writes, and signs it exactly as SignRequest does
// (ed25519 is deterministic, so the headers are equal).
func TestCanonicalTransactionMatchesSlowPath(t *testing.T) {
	key, err := signing.GenerateKey("k")
	if err != nil {
		t.Fatal(err)
	}
	pdus := []json.RawMessage{
		json.RawMessage(`{"content":{"body":"é \u00e9 <&>","msgtype":"m.text"},"type":"m.room.message"}`),
		json.RawMessage(`{"auth_events":[],"depth":3,"type":"m.room.member"}`),
	}
	canon := make([]json.RawMessage, len(pdus))
	for i, p := range pdus {
		c, err := canonical.Canonicalize(p)
		if err != nil {
			t.Fatal(err)
		}
		canon[i] = c
	}
	for _, edus := range [][]federation.EDU{nil, {
		{Type: "m.typing", Content: json.RawMessage(`{ "user_id": "@a:x", "typing": true, "room_id": "!r:x" }`)},
		{Type: "m.presence"},
	}} {
		slow := federation.EncodeTransaction("origin.example", 1700000000123, pdus, edus)
		want, err := canonical.Canonicalize(slow)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := federation.EncodeCanonicalTransaction("origin.example", 1700000000123, canon, edus)
		if err != nil {
			t.Fatal(err)
		}
		if string(fast) != string(want) {
			t.Fatalf("canonical body\n%s\nwant\n%s", fast, want)
		}
		for _, body := range [][]byte{fast, nil} {
			uri := "/_matrix/federation/v1/send/a%2Fb"
			slowAuth, err := federation.SignRequest(key, "origin.example", "dest.example", "PUT", uri, body)
			if err != nil {
				t.Fatal(err)
			}
			fastAuth := federation.SignCanonicalRequest(key, "origin.example", "dest.example", "PUT", uri, body)
			if fastAuth != slowAuth {
				t.Errorf("signature header %s, want %s", fastAuth, slowAuth)
			}
			a, err := federation.ParseAuthorization(fastAuth)
			if err != nil || federation.VerifyRequest(a, key.Public, "dest.example", "PUT", uri, body) != nil {
				t.Errorf("fast-path signature does not verify: %v", err)
			}
		}
	}
	if _, err := federation.EncodeCanonicalTransaction("o", 1, nil, []federation.EDU{{Type: "x", Content: json.RawMessage(`{bad`)}}); err == nil {
		t.Error("an EDU that is not JSON was encoded")
	}
}

// SendCanonicalTransaction reaches a fake server that checks the X-Matrix
// signature, with the body as sent.
func TestSendCanonicalTransaction(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	p, err := hub.AddPeer("peer.example")
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.GenerateKey("k")
	if err != nil {
		t.Fatal(err)
	}
	roots, err := federation.LoadRootCAs(hub.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	c := federation.NewClient(federation.ClientConfig{ServerName: "sender.example", Key: key, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()})})
	resp, _, err := federation.NewPublisher("sender.example", key, nil, 0, nil).Response()
	if err != nil {
		t.Fatal(err)
	}
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{Fetcher: oneServerKeys{resp}}))
	body, err := federation.EncodeCanonicalTransaction("sender.example", 5, []json.RawMessage{json.RawMessage(`{"a":1}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.SendCanonicalTransaction(ctx, "peer.example", "t/1", body); err != nil {
		t.Fatal(err)
	}
	txns := p.Transactions()
	if len(txns) != 1 || txns[0].TxnID != "t/1" || string(txns[0].Body) != string(body) || txns[0].Origin != "sender.example" {
		t.Fatalf("peer recorded %+v", txns)
	}
	p.FailWith(503)
	if _, err := c.SendCanonicalTransaction(ctx, "peer.example", "t/2", body); err == nil {
		t.Error("a 503 answer counted as delivered")
	}
}

type oneServerKeys struct{ resp []byte }

func (o oneServerKeys) FetchServerKeys(context.Context, string) ([]byte, error) { return o.resp, nil }
func (o oneServerKeys) QueryNotary(context.Context, string, []byte) ([]byte, error) {
	return nil, federation.ErrKeyNotFound
}
