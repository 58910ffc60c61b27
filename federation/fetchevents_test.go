package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
)

func TestParseStateIDs(t *testing.T) {
	long := `"$` + strings.Repeat("a", 300) + `"`
	for _, tc := range []struct {
		name, body string
		ok         bool
		pdus       int
	}{
		{"answer", `{"pdu_ids":["$a","$b"],"auth_chain_ids":["$c"]}`, true, 2},
		{"empty lists", `{"pdu_ids":[],"auth_chain_ids":[]}`, true, 0},
		{"no auth chain", `{"pdu_ids":["$a"]}`, false, 0},
		{"null lists", `{"pdu_ids":null,"auth_chain_ids":null}`, false, 0},
		{"not a list", `{"pdu_ids":5,"auth_chain_ids":[]}`, false, 0},
		{"empty ID", `{"pdu_ids":[""],"auth_chain_ids":[]}`, false, 0},
		{"over-long ID", `{"pdu_ids":[` + long + `],"auth_chain_ids":[]}`, false, 0},
		{"array", `[]`, false, 0},
		{"truncated", `{"pdu_ids":["$a"`, false, 0},
	} {
		got, err := federation.ParseStateIDs([]byte(tc.body))
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.ok && !errors.Is(err, federation.ErrBadRoomState) {
			t.Errorf("%s: %v does not wrap ErrBadRoomState", tc.name, err)
		}
		if tc.ok && len(got.PDUIDs) != tc.pdus {
			t.Errorf("%s: %d state IDs", tc.name, len(got.PDUIDs))
		}
	}
}

func FuzzParseStateIDs(f *testing.F) {
	f.Add([]byte(`{"pdu_ids":["$a","$b"],"auth_chain_ids":["$c"]}`))
	f.Add([]byte(`{"pdu_ids":[""],"auth_chain_ids":[]}`))
	f.Add([]byte(`{"pdu_ids":5}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := federation.ParseStateIDs(raw)
		if err != nil {
			return
		}
		for _, id := range append(s.PDUIDs, s.AuthChainIDs...) {
			if id == "" || len(id) > 255 {
				t.Fatalf("accepted event ID %q", id)
			}
		}
	})
}

// AuthOrder puts every event after its auth events, whatever order they
// come in.
func TestAuthOrder(t *testing.T) {
	f := newJoinFixture(t, "public", 3)
	evs := map[string]*event.Event{}
	for _, e := range append([]*event.Event{f.jr, f.create, f.pl, f.member, f.join}, f.extra...) {
		evs[e.ID] = e
	}
	order := federation.AuthOrder(evs)
	if len(order) != len(evs) {
		t.Fatalf("ordered %d of %d events", len(order), len(evs))
	}
	pos := map[string]int{}
	for i, e := range order {
		pos[e.ID] = i
	}
	for _, e := range order {
		for _, a := range e.AuthEvents {
			if p, ok := pos[a]; ok && p >= pos[e.ID] {
				t.Errorf("%s (%s) comes before its auth event %s", e.ID, e.Type, a)
			}
		}
	}
}

// Check 4 for a fetched event: it must pass the auth rules with its own
// auth events as the state; a rejected auth event is left out by the
// caller and counts as missing.
func TestCheckAgainstAuthEvents(t *testing.T) {
	f := newJoinFixture(t, "public", 0)
	for _, tc := range []struct {
		name string
		ev   *event.Event
		auth []*event.Event
		ok   bool
	}{
		{"create", f.create, nil, true},
		{"join rules with their auth events", f.jr, []*event.Event{f.create, f.member, f.pl}, true},
		{"join with its auth events", f.join, []*event.Event{f.create, f.pl, f.jr}, true},
		{"join rules without the sender's membership", f.jr, []*event.Event{f.create, f.pl}, false},
		{"join into a room without join rules", f.join, []*event.Event{f.create, f.pl}, false},
	} {
		err := federation.CheckAgainstAuthEvents(tc.ev, tc.auth, f.create)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// EventFetcher fetches from a peer and keeps only events that are the
// ones asked for, of the room, and correctly signed; a peer that hangs
// costs no more than the context allows.
func TestEventFetcher(t *testing.T) {
	f := newJoinFixture(t, "public", 2)
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeerKey("res.example", f.key)
	if err != nil {
		t.Fatal(err)
	}
	// Signed in res.example's name with a key that is not res.example's.
	forged, err := (&event.Proto{RoomID: f.roomID, Type: "m.room.message", Sender: "@owner:res.example", Content: json.RawMessage(`{"body":"x"}`),
		PrevEvents: []string{f.jr.ID}, AuthEvents: []string{f.create.ID}, Depth: 9, OriginServerTS: 1_700_000_000_000}).
		Build(f.v, "res.example", newKey(t, "res"))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]json.RawMessage{f.create.ID: f.create.Raw, f.pl.ID: f.pl.Raw, forged.ID: forged.Raw,
		"$swapped": f.member.Raw}
	hang := make(chan struct{})
	defer close(hang)
	peer.Handle("GET", "/_matrix/federation/v1/event/", func(ctx *fasthttp.RequestCtx) {
		p := string(ctx.Path())
		id, _ := url.PathUnescape(p[strings.LastIndex(p, "/")+1:])
		if id == "$hang" {
			<-hang
			return
		}
		raw, ok := served[id]
		if !ok {
			ctx.SetStatusCode(404)
			ctx.SetBodyString(`{"errcode":"M_NOT_FOUND","error":"no"}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"origin": "res.example", "origin_server_ts": 1, "pdus": []json.RawMessage{raw}})
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	})
	c := peerClient(t, hub)
	fe := &federation.EventFetcher{Client: c, Keyring: f.hs.Keyring, Concurrency: 2}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	got := fe.FetchEvents(ctx, "res.example", f.roomID, f.v, []string{f.create.ID, f.pl.ID, forged.ID, "$swapped", "$absent", "$hang"})
	if time.Since(start) > 5*time.Second {
		t.Errorf("fetching took %v with a 2 s deadline", time.Since(start))
	}
	if len(got.Events) != 2 || got.Events[f.create.ID] == nil || got.Events[f.pl.ID] == nil {
		t.Errorf("fetched %d events, want create and power levels", len(got.Events))
	}
	for id, want := range map[string]error{forged.ID: federation.ErrPDUSignature, "$swapped": federation.ErrFetchedEvent, "$absent": federation.ErrRemote, "$hang": nil} {
		err, ok := got.Failed[id]
		if !ok || (want != nil && !errors.Is(err, want)) {
			t.Errorf("%s: failure %v, want %v", id, err, want)
		}
	}
	// Other room: the same events checked in bulk for another room fail.
	bulk := fe.CheckEvents(ctx, "!other:res.example", f.v, raws(f.create, f.pl))
	if len(bulk.Events) != 0 || len(bulk.Failed) != 2 {
		t.Errorf("bulk check for another room: %d passed, %d failed", len(bulk.Events), len(bulk.Failed))
	}
	bulk = fe.CheckEvents(ctx, f.roomID, f.v, raws(f.create, f.pl, f.jr))
	if len(bulk.Events) != 3 {
		t.Errorf("bulk check: %d passed (%v)", len(bulk.Events), bulk.Failed)
	}
}
