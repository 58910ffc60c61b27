package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
)

// FetchStatesBefore takes the state a resident gives with /state_ids at
// the oldest events of a backfilled stretch only when it holds up: every
// event fetched and checked, m.room.create there, one event per slot, all
// state events, and the event itself allowed by it. The events it had to
// fetch come back in auth order.
func TestFetchStatesBefore(t *testing.T) {
	f := newJoinFixture(t, "public", 1)
	owner, u0 := "@owner:res.example", "@u0:res.example"
	msg := func(sender, body string, auth []string) *event.Event {
		return f.build(t, "m.room.message", nil, sender, fmt.Sprintf(`{"body":%q}`, body), []string{f.extra[0].ID}, auth, 6)
	}
	ownerAuth := []string{f.create.ID, f.member.ID, f.pl.ID}
	honest, noCreate, notState := msg(owner, "honest", ownerAuth), msg(owner, "no create", ownerAuth), msg(owner, "not state", ownerAuth)
	stranger, unknown := msg(u0, "u0 not in the state given", []string{f.create.ID, f.pl.ID, f.extra[0].ID}), msg(owner, "404", ownerAuth)
	full := []string{f.create.ID, f.member.ID, f.pl.ID, f.jr.ID}
	answers := map[string][]string{
		honest.ID:   full,
		noCreate.ID: full[1:],
		notState.ID: append([]string{honest.ID}, full...),
		stranger.ID: full,
	}
	served := map[string]json.RawMessage{}
	for _, e := range []*event.Event{f.create, f.member, f.pl, f.jr, honest} {
		served[e.ID] = e.Raw
	}
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeerKey("res.example", f.key)
	if err != nil {
		t.Fatal(err)
	}
	notFound := func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(404)
		ctx.SetBodyString(`{"errcode":"M_NOT_FOUND","error":"no"}`)
	}
	peer.Handle("GET", "/_matrix/federation/v1/state_ids/", func(ctx *fasthttp.RequestCtx) {
		ids, ok := answers[string(ctx.QueryArgs().Peek("event_id"))]
		if !ok {
			notFound(ctx)
			return
		}
		b, _ := json.Marshal(map[string]any{"pdu_ids": ids, "auth_chain_ids": full})
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	})
	peer.Handle("GET", "/_matrix/federation/v1/event/", func(ctx *fasthttp.RequestCtx) {
		p := string(ctx.Path())
		id, _ := url.PathUnescape(p[strings.LastIndex(p, "/")+1:])
		raw, ok := served[id]
		if !ok {
			notFound(ctx)
			return
		}
		b, _ := json.Marshal(map[string]any{"origin": "res.example", "origin_server_ts": 1, "pdus": []json.RawMessage{raw}})
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	})
	c := peerClient(t, hub)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := federation.FetchStatesBefore(ctx, c, f.hs.Keyring, "res.example", f.roomID, f.v, f.create,
		[]*event.Event{honest, noCreate, notState, stranger, unknown}, held(f.create))
	if err != nil {
		t.Fatal(err)
	}
	st, ok := got.States[honest.ID]
	if !ok || len(got.States) != 1 {
		t.Fatalf("states for %d events (failures %v), want the honest one only", len(got.States), got.Failed)
	}
	for _, id := range full {
		found := false
		for _, sid := range st {
			found = found || sid == id
		}
		if !found {
			t.Fatalf("the honest state lacks %s", id)
		}
	}
	for _, e := range []*event.Event{noCreate, notState, stranger, unknown} {
		if err := got.Failed[e.ID]; !errors.Is(err, federation.ErrBackfillState) {
			t.Errorf("%s: failure %v, want ErrBackfillState", bodyOf(e), err)
		}
	}
	pos := map[string]int{}
	for i, e := range got.Events {
		if e.ID == f.create.ID {
			t.Fatal("a held event was fetched again")
		}
		pos[e.ID] = i
	}
	for _, e := range got.Events {
		for _, a := range e.AuthEvents {
			if p, ok := pos[a]; ok && p >= pos[e.ID] {
				t.Fatalf("%s comes before its auth event %s", e.ID, a)
			}
		}
	}
	if _, ok := pos[f.member.ID]; !ok {
		t.Fatalf("fetched %d events, not the owner's membership", len(got.Events))
	}
}

func bodyOf(e *event.Event) string {
	var c struct {
		Body string `json:"body"`
	}
	_ = json.Unmarshal(e.Content, &c)
	return c.Body
}
