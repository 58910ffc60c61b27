package tests

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// mautrixAs is a mautrix client of uid on the trio's server of uid.
func (tr *trio) mautrixAs(uid string) *mautrix.Client {
	tr.t.Helper()
	cli, err := mautrix.NewClient("http://"+tr.srv[tr.servers[uid]].ClientAddr(), id.UserID(uid), tr.token[uid])
	if err != nil {
		tr.t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	return cli
}

// pagedEvent is one event of a backwards walk through /messages.
type pagedEvent struct {
	id, typ, body string
}

// pageBack walks a room's /messages backwards from the end, limit events
// per page, until the server gives no end token; it returns the events
// oldest first and fails on an event served twice.
func pageBack(t *testing.T, cli *mautrix.Client, roomID string, limit int) []pagedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []pagedEvent
	seen := map[string]bool{}
	from := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("%s: /messages never ends", cli.UserID)
		}
		res, err := cli.Messages(ctx, id.RoomID(roomID), from, "", mautrix.DirectionBackward, nil, limit)
		if err != nil {
			t.Fatalf("%s /messages from %q: %v", cli.UserID, from, err)
		}
		for _, ev := range res.Chunk {
			if seen[ev.ID.String()] {
				t.Fatalf("%s: /messages served %s twice", cli.UserID, ev.ID)
			}
			seen[ev.ID.String()] = true
			body, _ := ev.Content.Raw["body"].(string)
			out = append(out, pagedEvent{id: ev.ID.String(), typ: ev.Type.Type, body: body})
		}
		if res.End == "" {
			break
		}
		from = res.End
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// bodiesOf lists the bodies of the m.room.message events, in order.
func bodiesOf(evs []pagedEvent) []string {
	var out []string
	for _, e := range evs {
		if e.typ == "m.room.message" {
			out = append(out, e.body)
		}
	}
	return out
}

// A room on A has 200 messages before B's user joins. Paging back through
// /messages on B fetches that history from A: every message once, in
// order, the same events in the same order as A serves; and an
// incremental /sync on B shows none of the fetched events.
func TestFederationBackfillHistory(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "history"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	const n = 200
	for i := range n {
		tr.say(alice, roomID, fmt.Sprintf("h%d", i), fmt.Sprintf("before %d", i))
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#history:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "join", alice, bob)
	bobCli := tr.mautrixAs(bob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := bobCli.SyncRequest(ctx, 0, "", "", false, "")
	if err != nil {
		t.Fatalf("bob's initial sync: %v", err)
	}

	start := time.Now()
	onB := pageBack(t, bobCli, roomID, 30)
	t.Logf("bob paged %d events back in %v", len(onB), time.Since(start))
	onA := pageBack(t, tr.mautrixAs(alice), roomID, 30)

	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("before %d", i)
	}
	if got := bodiesOf(onB); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("bob's /messages: %d messages, want the %d sent before he joined, in order:\n%v", len(got), n, got)
	}
	if len(onA) != len(onB) {
		t.Fatalf("A serves %d events, B %d", len(onA), len(onB))
	}
	for i := range onA {
		if onA[i].id != onB[i].id {
			t.Fatalf("event %d: A serves %s (%s), B %s (%s)", i, onA[i].id, onA[i].typ, onB[i].id, onB[i].typ)
		}
	}

	// Nothing fetched reaches bob's incremental sync; a new message does.
	after := tr.say(alice, roomID, "after", "after the join")
	waitFor(t, func() bool {
		res, err := bobCli.SyncRequest(ctx, 0, first.NextBatch, "", false, "")
		if err != nil {
			t.Fatalf("bob's incremental sync: %v", err)
		}
		jr, ok := res.Rooms.Join[id.RoomID(roomID)]
		if !ok {
			return false
		}
		seenAfter := false
		for _, ev := range jr.Timeline.Events {
			if body, _ := ev.Content.Raw["body"].(string); strings.HasPrefix(body, "before ") {
				t.Fatalf("incremental sync shows the backfilled %s (%q)", ev.ID, body)
			}
			seenAfter = seenAfter || ev.ID.String() == after
		}
		return seenAfter
	}, "bob's incremental sync shows the new message")
}
