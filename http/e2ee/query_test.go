package e2ee

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
)

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}

func testClient(t testing.TB, addrs map[string]string) *federation.Client {
	t.Helper()
	key, err := signing.GenerateKey("t")
	if err != nil {
		t.Fatal(err)
	}
	return federation.NewClient(federation.ClientConfig{ServerName: "a.test", Key: key,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: addrs, OverridesOnly: true}),
		Timeout:  5 * time.Second})
}

func never(string) bool  { return false }
func always(string) bool { return true }

// A server that accepts the connection and never answers, and one that
// cannot be reached at all, both end up in failures once the timeout has
// passed, not after the outbound client's own, longer timeout.
func TestQueryAndClaimSilentServer(t *testing.T) {
	f := newFixture(t, testClient(t, map[string]string{"silent.test": silentServer(t)}))
	const timeout = 300 * time.Millisecond
	start := time.Now()
	q := f.s.QueryKeys(context.Background(), "alice", map[string][]string{"@x:silent.test": nil, "@y:nowhere.test": {"D"}}, timeout, never)
	took := time.Since(start)
	if q.Failures["silent.test"] == nil || q.Failures["nowhere.test"] == nil || len(q.DeviceKeys) != 0 {
		t.Fatalf("query: failures %v, keys %v", q.Failures, q.DeviceKeys)
	}
	if took < timeout || took > 3*time.Second {
		t.Fatalf("query took %v with a %v timeout", took, timeout)
	}
	start = time.Now()
	c := f.s.ClaimKeys(context.Background(), map[string]map[string]string{"@x:silent.test": {"D": "signed_curve25519"}}, timeout)
	if c.Failures["silent.test"] == nil || len(c.OneTimeKeys) != 0 {
		t.Fatalf("claim: %+v", c)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("claim took %v with a %v timeout", took, timeout)
	}
}

// A cached list answers a query only when the requester shares a room
// with its user; otherwise the user's server is asked (here: no
// federation, a failure). Wanted devices filter the answer.
func TestQueryFromCache(t *testing.T) {
	f := newFixture(t, nil)
	f.write(func(b *persistence.Batch) {
		b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 4,
			Devices:   map[string]json.RawMessage{"D1": devKeys(bob, "D1", "k1"), "D2": devKeys(bob, "D2", "k2")},
			MasterKey: csKey(bob, "master", "M")})
	})
	q := f.s.QueryKeys(context.Background(), "alice", map[string][]string{bob: {"D2", "D9"}}, time.Second, always)
	if len(q.Failures) != 0 || len(q.DeviceKeys[bob]) != 1 || q.DeviceKeys[bob]["D2"] == nil || q.MasterKeys[bob] == nil {
		t.Fatalf("query while sharing a room: %+v", q)
	}
	if l, _ := f.store.RemoteDeviceList(bob); !slices.Equal(l.Watchers, []string{"alice"}) {
		t.Fatalf("watchers after alice's query: %v", l.Watchers)
	}
	q = f.s.QueryKeys(context.Background(), "alice", map[string][]string{bob: nil}, time.Second, never)
	if q.Failures["b.test"] == nil || len(q.DeviceKeys) != 0 {
		t.Fatalf("query without a shared room: %+v", q)
	}
	// Local users are not this service's business.
	if q := f.s.QueryKeys(context.Background(), "alice", map[string][]string{"@alice:a.test": nil}, time.Second, always); len(q.DeviceKeys)+len(q.Failures) != 0 {
		t.Fatalf("query of a local user: %+v", q)
	}
}

// To-device messages become one m.direct_to_device EDU per remote server,
// queued durably before SendToDevice returns, with a message_id that a
// retry of the same transaction repeats; local recipients are left to the
// caller, and the destinations' server actors are woken.
func TestSendToDevice(t *testing.T) {
	f := newFixture(t, nil)
	msgs := map[string]map[string]json.RawMessage{
		bob:             {"D1": json.RawMessage(`{"a":1}`)},
		"@carol:b.test": {"*": json.RawMessage(`{"a":2}`)},
		"@dave:c.test":  {"D": json.RawMessage(`{"a":3}`)},
		"@alice:a.test": {"D": json.RawMessage(`{"a":4}`)},
	}
	for _, txn := range []string{"txn1", "txn1", "txn2"} {
		if err := f.s.SendToDevice("@alice:a.test", "ALICEDEV", txn, "m.room_key_request", msgs); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.sent) != 0 {
		t.Fatalf("to-device EDUs went through the ephemeral queue: %v", f.sent)
	}
	if len(f.woken) != 2 || f.woken["b.test"] != 3 || f.woken["c.test"] != 3 {
		t.Fatalf("server actors woken: %v", f.woken)
	}
	queued := map[string][]persistence.ToDeviceRow{}
	for _, dest := range []string{"a.test", "b.test", "c.test"} {
		rows, err := f.store.ToDeviceOutbox(dest, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		queued[dest] = rows
	}
	if len(queued["a.test"]) != 0 || len(queued["b.test"]) != 3 || len(queued["c.test"]) != 3 {
		t.Fatalf("queued rows by destination: %v", queued)
	}
	type content struct {
		Sender    string                                `json:"sender"`
		Type      string                                `json:"type"`
		MessageID string                                `json:"message_id"`
		Messages  map[string]map[string]json.RawMessage `json:"messages"`
	}
	var got [3]content
	for i, r := range queued["b.test"] {
		if json.Unmarshal(r.Content, &got[i]) != nil {
			t.Fatalf("row %d: %s", i, r.Content)
		}
		if i > 0 && r.Seq <= queued["b.test"][i-1].Seq {
			t.Fatalf("rows out of order: %v", queued["b.test"])
		}
	}
	if got[0].MessageID != got[1].MessageID || got[0].MessageID == got[2].MessageID || len(got[0].MessageID) > 32 {
		t.Fatalf("message IDs %q %q %q: a retry must repeat one, a new transaction not", got[0].MessageID, got[1].MessageID, got[2].MessageID)
	}
	if c := got[0]; c.Sender != "@alice:a.test" || c.Type != "m.room_key_request" || len(c.Messages) != 2 ||
		string(c.Messages["@carol:b.test"]["*"]) != `{"a":2}` {
		t.Fatalf("EDU content %+v", c)
	}
}
