package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
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

// With history_visibility "joined", what was said before B's user joined
// stays hidden on B: A serves it redacted (its place in the graph only),
// and B shows none of it. The room's first events, sent before the
// history_visibility event, are "shared" history and may be shown.
func TestFederationBackfillJoinedVisibility(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "members-only",
		"initial_state": []map[string]any{{"type": "m.room.history_visibility", "state_key": "",
			"content": map[string]any{"history_visibility": "joined"}}}})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	var before []string
	for i := range 20 {
		before = append(before, tr.say(alice, roomID, fmt.Sprintf("j%d", i), fmt.Sprintf("before %d", i)))
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#members-only:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "join", alice, bob)
	tr.say(alice, roomID, "j-after", "after the join")
	waitFor(t, func() bool { return tr.bodies(bob, roomID)["after the join"] == 1 }, "bob sees the message after his join")

	onB := pageBack(t, tr.mautrixAs(bob), roomID, 7)
	if got := bodiesOf(onB); len(got) != 1 || got[0] != "after the join" {
		t.Fatalf("bob's /messages shows %v; want only the message after his join", got)
	}
	for _, e := range onB {
		if slices.Contains(before, e.id) {
			t.Fatalf("bob's /messages shows the pre-join %s %s", e.typ, e.id)
		}
	}
	// B never held their content: what it may hold is A's redacted copy.
	for _, evID := range []string{before[0], before[len(before)-1]} {
		got, ferr := fedCall(t, tr, "hs-a.test", "hs-b.test", "GET", "/_matrix/federation/v1/event/"+url.PathEscape(evID), nil)
		if ferr != nil {
			continue
		}
		pdus, _ := got["pdus"].([]any)
		for _, p := range pdus {
			ev, _ := p.(map[string]any)
			if content, _ := ev["content"].(map[string]any); len(content) != 0 {
				t.Fatalf("B holds the content of the pre-join %s: %v", evID, content)
			}
		}
	}
	if onA := bodiesOf(pageBack(t, tr.mautrixAs(alice), roomID, 50)); len(onA) != 21 {
		t.Fatalf("alice's /messages shows %d messages, want 21", len(onA))
	}
}

// A room on A whose history_visibility was "joined" for a stretch of
// messages, then "shared" for more. B's user and a user of A join at the
// same point; paging back, B's user sees exactly what A's user sees: the
// "shared" stretch, not the "joined" one. The history is longer than one
// /backfill answer, so B computes the state of the history forwards from
// the state A gives with /state_ids at the oldest event of the first
// answer; a "shared" read for an empty slot would show the "joined"
// stretch.
func TestFederationBackfillVisibilityMatchesResident(t *testing.T) {
	tr := newTrio(t)
	const dan = "@dan:hs-a.test"
	tr.token[dan] = registerUser(t, tr.srv["hs-a.test"], "dan", "correct horse battery", nil).str("access_token")
	tr.servers[dan] = "hs-a.test"
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "stretches"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	setVisibility := func(v string) string {
		r := tr.as(alice, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/state/m.room.history_visibility/",
			map[string]any{"history_visibility": v})
		if r.status != 200 {
			t.Fatalf("history_visibility %s: %d %v", v, r.status, r.body)
		}
		return r.str("event_id")
	}
	const n = 40
	toJoined := setVisibility("joined")
	for i := range n {
		tr.say(alice, roomID, fmt.Sprintf("j%d", i), fmt.Sprintf("joined %d", i))
	}
	setVisibility("shared")
	for i := range n {
		tr.say(alice, roomID, fmt.Sprintf("s%d", i), fmt.Sprintf("shared %d", i))
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#stretches:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "join", alice, bob)
	if r := tr.as(dan, "POST", "/_matrix/client/v3/join/"+url.PathEscape(roomID), map[string]any{}); r.status != 200 {
		t.Fatalf("dan joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, dan, "join", alice, bob)
	tr.say(alice, roomID, "after", "after the joins")
	waitFor(t, func() bool { return tr.bodies(bob, roomID)["after the joins"] == 1 }, "bob sees the message after the joins")

	onB := pageBack(t, tr.mautrixAs(bob), roomID, 20)
	onA := pageBack(t, tr.mautrixAs(dan), roomID, 20)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("shared %d", i))
	}
	want = append(want, "after the joins")
	if got := bodiesOf(onA); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("dan on A sees %v\nwant %v", got, want)
	}
	var idsA, idsB []string
	for _, e := range onA {
		idsA = append(idsA, e.typ+" "+e.id)
	}
	for _, e := range onB {
		idsB = append(idsB, e.typ+" "+e.id)
	}
	// A serves B no event B's server may not see (http/federation
	// serverCanSee leaves them out of /backfill), so B's walk back ends at
	// the "joined" stretch: the room's creation, before it, which A shows
	// dan, B cannot fetch. Everything from the stretch on is the same.
	if len(idsB) < n+3 || len(idsB) > len(idsA) ||
		strings.Join(idsA[len(idsA)-len(idsB):], "\n") != strings.Join(idsB, "\n") {
		t.Fatalf("bob on B sees\n%s\n\ndan on A sees\n%s", strings.Join(idsB, "\n"), strings.Join(idsA, "\n"))
	}
	if prefix := idsA[:len(idsA)-len(idsB)]; len(prefix) > 0 && prefix[len(prefix)-1] != "m.room.history_visibility "+toJoined {
		t.Fatalf("A shows dan more than the room's creation before the \"joined\" stretch: %v", prefix)
	}
}

// A thread on A, before B's user joins: once B has backfilled it, B's
// /relations of the root lists the replies, and /threads serves the root
// with its thread summary, as A does.
func TestFederationBackfillRelations(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "threads"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	root := tr.say(alice, roomID, "root", "thread root")
	var replies []string
	for i := range 3 {
		r := tr.as(alice, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/send/m.room.message/"+fmt.Sprintf("reply%d", i),
			map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("reply %d", i),
				"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root}})
		if r.status != 200 {
			t.Fatalf("reply %d: %d %v", i, r.status, r.body)
		}
		replies = append(replies, r.str("event_id"))
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#threads:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "join", alice, bob)
	onB := pageBack(t, tr.mautrixAs(bob), roomID, 20)
	if got := bodiesOf(onB); len(got) != 4 {
		t.Fatalf("bob's /messages: %v", got)
	}
	relPath := "/_matrix/client/v1/rooms/" + url.PathEscape(roomID) + "/relations/" + url.PathEscape(root) + "/m.thread"
	for _, uid := range []string{alice, bob} {
		rel := tr.as(uid, "GET", relPath, nil)
		if rel.status != 200 {
			t.Fatalf("%s /relations: %d %v", uid, rel.status, rel.body)
		}
		chunk, _ := rel.body["chunk"].([]any)
		var got []string
		for _, c := range chunk {
			got = append(got, c.(map[string]any)["event_id"].(string))
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(replies))
		if !slices.Equal(got, want) {
			t.Fatalf("%s /relations of the root: %v, want %v", uid, got, want)
		}
	}
	for _, uid := range []string{alice, bob} {
		th := tr.as(uid, "GET", "/_matrix/client/v1/rooms/"+url.PathEscape(roomID)+"/threads", nil)
		if th.status != 200 {
			t.Fatalf("%s /threads: %d %v", uid, th.status, th.body)
		}
		chunk, _ := th.body["chunk"].([]any)
		if len(chunk) != 1 {
			t.Fatalf("%s /threads lists %d roots, want 1: %v", uid, len(chunk), th.body)
		}
		rootEv, _ := chunk[0].(map[string]any)
		unsigned, _ := rootEv["unsigned"].(map[string]any)
		rels, _ := unsigned["m.relations"].(map[string]any)
		thread, _ := rels["m.thread"].(map[string]any)
		latest, _ := thread["latest_event"].(map[string]any)
		if n, _ := thread["count"].(float64); rootEv["event_id"] != root || n != 3 || latest["event_id"] != replies[2] {
			t.Fatalf("%s: the thread root carries %v, want a count of 3 and the last reply", uid, unsigned)
		}
	}
}

// When no server can give the history before the join, the page that
// reaches it still ends with an end token (more events exist:
// message_pagination.yaml omits end only when none are available), and
// the next page, empty, has none: a client paging back stops instead of
// looping on empty pages.
func TestFederationBackfillStalledPageEnds(t *testing.T) {
	peer, srv, token := residentAndJoiner(t)
	r := newLinearRoom(t, peer, 30)
	r.down.Store(true)
	if res := call(t, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(r.roomID)+"?server_name=resident.test", token, map[string]any{}); res.status != 200 {
		t.Fatalf("join: %d %v", res.status, res.body)
	}
	cli, err := mautrix.NewClient("http://"+srv.ClientAddr(), id.UserID("@bob:hs-b.test"), token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := cli.Messages(ctx, id.RoomID(r.roomID), "", "", mautrix.DirectionBackward, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Chunk) != 1 || first.Chunk[0].Type.Type != "m.room.member" || first.End == "" {
		t.Fatalf("first page: %d events, end %q; want bob's join and an end token", len(first.Chunk), first.End)
	}
	second, err := cli.Messages(ctx, id.RoomID(r.roomID), first.End, "", mautrix.DirectionBackward, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Chunk) != 0 || second.End != "" {
		t.Fatalf("second page: %d events, end %q; want none and no end token", len(second.Chunk), second.End)
	}
	if got := pageBack(t, cli, r.roomID, 10); len(got) != 1 {
		t.Fatalf("a walk back serves %d events, want bob's join", len(got))
	}
}

// historyRoom is a version 10 room of resident.test, a fake server that
// answers make_join, send_join and /backfill. Its history is thirty
// messages; besides them, its /backfill answer holds a message with a
// forged signature and one from a user who never joined, and the join
// template it hands out cites both as prev_events beside the last honest
// message.
type historyRoom struct {
	roomID     string
	state      []*event.Event // create, member, power levels, join rules, history visibility
	messages   []*event.Event
	forged     json.RawMessage
	forgedID   string
	unauthored *event.Event
}

func newHistoryRoom(t *testing.T, peer *fedtest.Peer) *historyRoom {
	t.Helper()
	v, _ := version.Lookup("10")
	r := &historyRoom{roomID: "!history:resident.test"}
	mallory, eve, empty := "@mallory:resident.test", "@eve:resident.test", ""
	ts := time.Now().UnixMilli()
	build := func(sender, typ string, sk *string, content string, prev, auth []string, depth int64) *event.Event {
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: r.roomID, Type: typ, StateKey: sk, Sender: sender,
			Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: auth, Depth: depth, OriginServerTS: ts})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	create := build(mallory, "m.room.create", &empty, `{"creator":"`+mallory+`","room_version":"10"}`, nil, nil, 1)
	member := build(mallory, "m.room.member", &mallory, `{"membership":"join"}`, []string{create.ID}, []string{create.ID}, 2)
	pl := build(mallory, "m.room.power_levels", &empty, `{"users":{"`+mallory+`":100}}`, []string{member.ID}, []string{create.ID, member.ID}, 3)
	jr := build(mallory, "m.room.join_rules", &empty, `{"join_rule":"public"}`, []string{pl.ID}, []string{create.ID, member.ID, pl.ID}, 4)
	hv := build(mallory, "m.room.history_visibility", &empty, `{"history_visibility":"shared"}`, []string{jr.ID}, []string{create.ID, member.ID, pl.ID}, 5)
	r.state = []*event.Event{create, member, pl, jr, hv}
	prev := hv.ID
	msgAuth := []string{create.ID, member.ID, pl.ID}
	for i := range 30 {
		m := build(mallory, "m.room.message", nil, fmt.Sprintf(`{"msgtype":"m.text","body":"history %d"}`, i), []string{prev}, msgAuth, int64(6+i))
		r.messages = append(r.messages, m)
		prev = m.ID
	}
	forged := build(mallory, "m.room.message", nil, `{"msgtype":"m.text","body":"forged"}`, []string{prev}, msgAuth, 36)
	var obj map[string]any
	_ = json.Unmarshal(forged.Raw, &obj)
	obj["signatures"] = map[string]any{"resident.test": map[string]string{string(peer.Key.ID): strings.Repeat("A", 86)}}
	r.forged, _ = json.Marshal(obj)
	r.forgedID = forged.ID
	r.unauthored = build(eve, "m.room.message", nil, `{"msgtype":"m.text","body":"never joined"}`, []string{prev}, []string{create.ID, pl.ID}, 36)
	peer.Handle("GET", "/_matrix/federation/v1/make_join/", r.makeJoin)
	peer.Handle("PUT", "/_matrix/federation/v2/send_join/", r.sendJoin)
	peer.Handle("GET", "/_matrix/federation/v1/backfill/", r.backfill)
	return r
}

func (r *historyRoom) makeJoin(ctx *fasthttp.RequestCtx) {
	parts := strings.Split(string(ctx.Path()), "/")
	user, _ := url.PathUnescape(parts[len(parts)-1])
	last := r.messages[len(r.messages)-1]
	tmpl := map[string]any{"room_id": r.roomID, "type": "m.room.member", "state_key": user, "sender": user,
		"content": map[string]any{"membership": "join"}, "prev_events": []string{last.ID, r.forgedID, r.unauthored.ID},
		"auth_events": []string{r.state[0].ID, r.state[2].ID, r.state[3].ID}, "depth": 37, "origin_server_ts": time.Now().UnixMilli()}
	body, _ := json.Marshal(map[string]any{"room_version": "10", "event": tmpl})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func (r *historyRoom) sendJoin(ctx *fasthttp.RequestCtx) {
	var state []json.RawMessage
	for _, ev := range r.state {
		state = append(state, ev.Raw)
	}
	body, _ := json.Marshal(map[string]any{"origin": "resident.test", "state": state, "auth_chain": state[:3]})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// backfill answers with everything it has, newest first, whatever was
// asked.
func (r *historyRoom) backfill(ctx *fasthttp.RequestCtx) {
	pdus := []json.RawMessage{r.forged, r.unauthored.Raw}
	for i := len(r.messages) - 1; i >= 0; i-- {
		pdus = append(pdus, r.messages[i].Raw)
	}
	for i := len(r.state) - 1; i >= 0; i-- {
		pdus = append(pdus, r.state[i].Raw)
	}
	body, _ := json.Marshal(map[string]any{"origin": "resident.test", "origin_server_ts": time.Now().UnixMilli(), "pdus": pdus})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// A resident whose /backfill answer holds a forged event and one that
// fails auth: those two are refused, the honest history is served in
// order, and the room keeps working.
func TestFederationBackfillRefusesBadEvents(t *testing.T) {
	peer, srv, token := residentAndJoiner(t)
	r := newHistoryRoom(t, peer)
	if res := call(t, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(r.roomID)+"?server_name=resident.test", token, map[string]any{}); res.status != 200 {
		t.Fatalf("join: %d %v", res.status, res.body)
	}
	cli, err := mautrix.NewClient("http://"+srv.ClientAddr(), id.UserID("@bob:hs-b.test"), token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	for round := range 2 { // the second walk finds everything in place
		evs := pageBack(t, cli, r.roomID, 8)
		var want []string
		for _, ev := range r.state {
			want = append(want, ev.ID)
		}
		for _, ev := range r.messages {
			want = append(want, ev.ID)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.id)
		}
		if len(got) != len(want)+1 || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") || evs[len(evs)-1].typ != "m.room.member" {
			t.Fatalf("walk %d: bob's /messages serves\n%v\nwant the history\n%v\nthen his join", round, got, want)
		}
	}
	// The room still works: its state is the resident's plus bob, and bob
	// can talk.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := cli.State(ctx, id.RoomID(r.roomID))
	if err != nil {
		t.Fatalf("state after backfill: %v", err)
	}
	n := 0
	for _, byKey := range st {
		n += len(byKey)
	}
	if n != len(r.state)+1 {
		t.Fatalf("state after backfill has %d events, want %d", n, len(r.state)+1)
	}
	if res := call(t, srv, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/send/m.room.message/after", token,
		map[string]any{"msgtype": "m.text", "body": "still here"}); res.status != 200 {
		t.Fatalf("send after backfill: %d %v", res.status, res.body)
	}
}

// linearRoom is a version 10 room of resident.test with n messages in one
// line, whose /backfill answers honour v and limit.
type linearRoom struct {
	roomID string
	events []*event.Event // oldest first: five state events, then the messages
	index  map[string]int
	// daveJoin, when set, is a member event the send_join answer leaves
	// out (as a partial state would); eventAuth counts /event_auth calls.
	daveJoin  *event.Event
	eventAuth atomic.Int32
	// down makes /backfill fail.
	down atomic.Bool
}

func newLinearRoom(tb testing.TB, peer *fedtest.Peer, n int) *linearRoom {
	return newLinearRoomWith(tb, peer, n, false)
}

// newLinearRoomWith, withDave, lets @dave:resident.test join after the
// state events and speak every other message.
func newLinearRoomWith(tb testing.TB, peer *fedtest.Peer, n int, withDave bool) *linearRoom {
	tb.Helper()
	v, _ := version.Lookup("10")
	r := &linearRoom{roomID: "!linear:resident.test", index: map[string]int{}}
	mallory, empty := "@mallory:resident.test", ""
	ts := time.Now().UnixMilli()
	build := func(typ string, sk *string, content string, prev, auth []string) *event.Event {
		sender := mallory
		if sk != nil && *sk != "" {
			sender = *sk
		}
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: r.roomID, Type: typ, StateKey: sk, Sender: sender,
			Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: auth, Depth: int64(len(r.events) + 1), OriginServerTS: ts})
		if err != nil {
			tb.Fatal(err)
		}
		r.index[ev.ID] = len(r.events)
		r.events = append(r.events, ev)
		return ev
	}
	create := build("m.room.create", &empty, `{"creator":"`+mallory+`","room_version":"10"}`, nil, nil)
	member := build("m.room.member", &mallory, `{"membership":"join"}`, []string{create.ID}, []string{create.ID})
	pl := build("m.room.power_levels", &empty, `{"users":{"`+mallory+`":100}}`, []string{member.ID}, []string{create.ID, member.ID})
	jr := build("m.room.join_rules", &empty, `{"join_rule":"public"}`, []string{pl.ID}, []string{create.ID, member.ID, pl.ID})
	prev := build("m.room.history_visibility", &empty, `{"history_visibility":"shared"}`, []string{jr.ID}, []string{create.ID, member.ID, pl.ID}).ID
	speakers := [][]string{{mallory, member.ID}}
	if withDave {
		dave := "@dave:resident.test"
		r.daveJoin = build("m.room.member", &dave, `{"membership":"join"}`, []string{prev}, []string{create.ID, pl.ID, jr.ID})
		prev = r.daveJoin.ID
		speakers = append(speakers, []string{dave, r.daveJoin.ID})
	}
	for i := range n {
		sp := speakers[i%len(speakers)]
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: r.roomID, Type: "m.room.message", Sender: sp[0],
			Content: json.RawMessage(fmt.Sprintf(`{"msgtype":"m.text","body":"line %d"}`, i)), PrevEvents: []string{prev},
			AuthEvents: []string{create.ID, sp[1], pl.ID}, Depth: int64(len(r.events) + 1), OriginServerTS: ts})
		if err != nil {
			tb.Fatal(err)
		}
		r.index[ev.ID] = len(r.events)
		r.events = append(r.events, ev)
		prev = ev.ID
	}
	peer.Handle("GET", "/_matrix/federation/v1/make_join/", r.makeJoin)
	peer.Handle("PUT", "/_matrix/federation/v2/send_join/", r.sendJoin)
	peer.Handle("GET", "/_matrix/federation/v1/backfill/", r.backfill)
	peer.Handle("GET", "/_matrix/federation/v1/event_auth/", r.authChain)
	peer.Handle("GET", "/_matrix/federation/v1/state_ids/", r.stateIDs)
	peer.Handle("GET", "/_matrix/federation/v1/event/", r.event)
	return r
}

// newStretchRoom is a linearRoom whose history_visibility is "shared"
// at creation, then "joined" for n messages, then "shared" again for n
// more; its /backfill serves every event, hidden or not, as a server that
// holds its members' history to be shared would.
func newStretchRoom(tb testing.TB, peer *fedtest.Peer, n int) *linearRoom {
	tb.Helper()
	v, _ := version.Lookup("10")
	r := &linearRoom{roomID: "!stretch:resident.test", index: map[string]int{}}
	mallory, empty := "@mallory:resident.test", ""
	ts := time.Now().UnixMilli()
	var prev []string
	build := func(typ string, sk *string, content string, auth []string) *event.Event {
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: r.roomID, Type: typ, StateKey: sk, Sender: mallory,
			Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: auth, Depth: int64(len(r.events) + 1), OriginServerTS: ts})
		if err != nil {
			tb.Fatal(err)
		}
		r.index[ev.ID] = len(r.events)
		r.events = append(r.events, ev)
		prev = []string{ev.ID}
		return ev
	}
	create := build("m.room.create", &empty, `{"creator":"`+mallory+`","room_version":"10"}`, nil)
	member := build("m.room.member", &mallory, `{"membership":"join"}`, []string{create.ID})
	pl := build("m.room.power_levels", &empty, `{"users":{"`+mallory+`":100}}`, []string{create.ID, member.ID})
	build("m.room.join_rules", &empty, `{"join_rule":"public"}`, []string{create.ID, member.ID, pl.ID})
	auth := []string{create.ID, member.ID, pl.ID}
	build("m.room.history_visibility", &empty, `{"history_visibility":"shared"}`, auth)
	build("m.room.history_visibility", &empty, `{"history_visibility":"joined"}`, auth)
	for i := range n {
		build("m.room.message", nil, fmt.Sprintf(`{"msgtype":"m.text","body":"joined %d"}`, i), auth)
	}
	build("m.room.history_visibility", &empty, `{"history_visibility":"shared"}`, auth)
	for i := range n {
		build("m.room.message", nil, fmt.Sprintf(`{"msgtype":"m.text","body":"shared %d"}`, i), auth)
	}
	peer.Handle("GET", "/_matrix/federation/v1/make_join/", r.makeJoin)
	peer.Handle("PUT", "/_matrix/federation/v2/send_join/", r.sendJoin)
	peer.Handle("GET", "/_matrix/federation/v1/backfill/", r.backfill)
	peer.Handle("GET", "/_matrix/federation/v1/event_auth/", r.authChain)
	peer.Handle("GET", "/_matrix/federation/v1/state_ids/", r.stateIDs)
	peer.Handle("GET", "/_matrix/federation/v1/event/", r.event)
	return r
}

// A resident that serves all of a room's history, the messages sent while
// history_visibility was "joined" included: B places them with the state
// computed forwards from /state_ids at the oldest event of the first
// answer, so its user sees the room's creation and the "shared" stretch,
// never the "joined" one, which the state derived backwards from the join
// (a history_visibility slot left empty, read as "shared") showed.
func TestFederationBackfillStateComputedForwards(t *testing.T) {
	peer, srv, token := residentAndJoiner(t)
	const n = 40 // the first /backfill answer (50) ends inside the "joined" stretch
	r := newStretchRoom(t, peer, n)
	if res := call(t, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(r.roomID)+"?server_name=resident.test", token, map[string]any{}); res.status != 200 {
		t.Fatalf("join: %d %v", res.status, res.body)
	}
	cli, err := mautrix.NewClient("http://"+srv.ClientAddr(), id.UserID("@bob:hs-b.test"), token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	var got []string
	for _, e := range pageBack(t, cli, r.roomID, 15) {
		got = append(got, e.id)
	}
	// Visible: the creation and the change to "joined" (the state before
	// each is "shared"), the "shared" stretch (not the change back to it:
	// the state before that is "joined"), and bob's join.
	var want []string
	for _, ev := range r.events[:6] {
		want = append(want, ev.ID)
	}
	for _, ev := range r.events[6+n+1:] {
		want = append(want, ev.ID)
	}
	if len(got) != len(want)+1 || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") {
		t.Fatalf("bob's /messages serves %d events, want the %d visible of the history then his join:\n%v\nwant\n%v",
			len(got), len(want), got, want)
	}
}

// stateIDs answers /state_ids/{roomId}?event_id= with the state before
// the event: the last state event of each slot before it in the line
// (events.yaml; the auth chain of a linear room's state is that state).
func (r *linearRoom) stateIDs(ctx *fasthttp.RequestCtx) {
	i, ok := r.index[string(ctx.QueryArgs().Peek("event_id"))]
	if !ok {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString(`{"errcode":"M_NOT_FOUND","error":"no such event"}`)
		return
	}
	slots := map[event.StateKey]string{}
	for _, ev := range r.events[:i] {
		if ev.IsState() {
			slots[ev.Key()] = ev.ID
		}
	}
	ids := []string{}
	for _, id := range slots {
		ids = append(ids, id)
	}
	body, _ := json.Marshal(map[string]any{"pdu_ids": ids, "auth_chain_ids": ids})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// event answers /event/{eventId}.
func (r *linearRoom) event(ctx *fasthttp.RequestCtx) {
	parts := strings.Split(string(ctx.Path()), "/")
	id, _ := url.PathUnescape(parts[len(parts)-1])
	i, ok := r.index[id]
	if !ok {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString(`{"errcode":"M_NOT_FOUND","error":"no such event"}`)
		return
	}
	body, _ := json.Marshal(map[string]any{"origin": "resident.test", "origin_server_ts": time.Now().UnixMilli(),
		"pdus": []json.RawMessage{r.events[i].Raw}})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// authChain answers /event_auth/{roomId}/{eventId} with the event's
// auth events and theirs.
func (r *linearRoom) authChain(ctx *fasthttp.RequestCtx) {
	r.eventAuth.Add(1)
	parts := strings.Split(string(ctx.Path()), "/")
	id, _ := url.PathUnescape(parts[len(parts)-1])
	seen := map[string]bool{}
	var chain []json.RawMessage
	var walk func(id string)
	walk = func(id string) {
		i, ok := r.index[id]
		if !ok {
			return
		}
		for _, a := range r.events[i].AuthEvents {
			if !seen[a] {
				seen[a] = true
				walk(a)
				chain = append(chain, r.events[r.index[a]].Raw)
			}
		}
	}
	walk(id)
	body, _ := json.Marshal(map[string]any{"auth_chain": chain})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func (r *linearRoom) makeJoin(ctx *fasthttp.RequestCtx) {
	parts := strings.Split(string(ctx.Path()), "/")
	user, _ := url.PathUnescape(parts[len(parts)-1])
	last := r.events[len(r.events)-1]
	tmpl := map[string]any{"room_id": r.roomID, "type": "m.room.member", "state_key": user, "sender": user,
		"content": map[string]any{"membership": "join"}, "prev_events": []string{last.ID},
		"auth_events": []string{r.events[0].ID, r.events[2].ID, r.events[3].ID}, "depth": len(r.events) + 1, "origin_server_ts": time.Now().UnixMilli()}
	body, _ := json.Marshal(map[string]any{"room_version": "10", "event": tmpl})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func (r *linearRoom) sendJoin(ctx *fasthttp.RequestCtx) {
	var state []json.RawMessage
	for _, ev := range r.events[:5] {
		state = append(state, ev.Raw)
	}
	body, _ := json.Marshal(map[string]any{"origin": "resident.test", "state": state, "auth_chain": state[:3]})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// backfill serves the newest of the events v names and the limit-1
// before it, newest first (backfill.yaml).
func (r *linearRoom) backfill(ctx *fasthttp.RequestCtx) {
	if r.down.Load() {
		ctx.SetStatusCode(fasthttp.StatusBadGateway)
		ctx.SetBodyString(`{"errcode":"M_UNKNOWN","error":"down"}`)
		return
	}
	top := -1
	for _, v := range ctx.QueryArgs().PeekMulti("v") {
		if i, ok := r.index[string(v)]; ok && i > top {
			top = i
		}
	}
	limit, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("limit")))
	var pdus []json.RawMessage
	for i := top; i >= 0 && len(pdus) < limit; i-- {
		pdus = append(pdus, r.events[i].Raw)
	}
	body, _ := json.Marshal(map[string]any{"origin": "resident.test", "origin_server_ts": time.Now().UnixMilli(), "pdus": pdus})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// A join whose state left out a member (as a partial state does) meets
// that member's messages in the first /backfill answer without the
// member's join among their auth events: the auth chain is fetched with
// /event_auth and checked, and the messages are served in order.
func TestFederationBackfillFetchesAuthEvents(t *testing.T) {
	peer, srv, token := residentAndJoiner(t)
	const n = 120 // more than one /backfill answer: the first lacks dave's join
	r := newLinearRoomWith(t, peer, n, true)
	if res := call(t, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(r.roomID)+"?server_name=resident.test", token, map[string]any{}); res.status != 200 {
		t.Fatalf("join: %d %v", res.status, res.body)
	}
	cli, err := mautrix.NewClient("http://"+srv.ClientAddr(), id.UserID("@bob:hs-b.test"), token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	page := pageBack(t, cli, r.roomID, 50)
	var got []string
	for _, e := range page {
		got = append(got, e.id)
	}
	var want []string
	for _, ev := range r.events {
		want = append(want, ev.ID)
	}
	if len(got) != len(want)+1 || strings.Join(got[:len(want)], " ") != strings.Join(want, " ") {
		t.Fatalf("bob's /messages serves %d events, want the %d of the history then his join", len(got), len(want))
	}
	if r.eventAuth.Load() == 0 {
		t.Fatal("no auth chain was fetched")
	}
}

// BenchmarkBackfillPage: one op is one GET /messages?dir=b&limit=50 on an
// Axon server (hs-b.test) in a room joined over federation from a fake
// resident on loopback TLS. In "backfill" every page runs into the start
// of what the server holds and waits for one /backfill of 50 events: the
// fetch, the signature, hash and auth checks of the 50 events, placing
// them in one fsynced batch, and reading the page again. "held" walks the
// same pages once they are all held, for comparison. cpu-ns/op is the
// whole process (the fake resident's side included).
func BenchmarkBackfillPage(b *testing.B) {
	b.Run("backfill", func(b *testing.B) { benchBackfillPages(b, false) })
	b.Run("held", func(b *testing.B) { benchBackfillPages(b, true) })
}

func benchBackfillPages(b *testing.B, held bool) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { hub.Close() })
	peer, err := hub.AddPeer("resident.test")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	cfg := testConfig(b, filepath.Join(dir, "hs-b"))
	cfg.ServerName = "hs-b.test"
	cfg.FederationAddresses = hub.Overrides()
	cfg.FederationCAFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(cfg.FederationCAFile, hub.CAPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	homeservertest.WriteTLSCert(b, cfg)
	srv := startServer(b, cfg)
	token := registerUser(b, srv, "bob", "correct horse battery", nil).str("access_token")
	const page = 50
	r := newLinearRoom(b, peer, page*(b.N+1))
	if res := call(b, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(r.roomID)+"?server_name=resident.test", token, map[string]any{}); res.status != 200 {
		b.Fatalf("join: %d %v", res.status, res.body)
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(r.roomID) + "/messages?dir=b&limit=" + strconv.Itoa(page)
	// The first page holds the join and the first backfilled events.
	top := call(b, srv, "GET", path, token, nil).str("end")
	if held {
		for from := top; from != ""; {
			from = call(b, srv, "GET", path+"&from="+url.QueryEscape(from), token, nil).str("end")
		}
	}
	from := top
	var lat []time.Duration
	cpu0 := processCPU()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		res := call(b, srv, "GET", path+"&from="+url.QueryEscape(from), token, nil)
		lat = append(lat, time.Since(t0))
		chunk, _ := res.body["chunk"].([]any)
		if res.status != 200 || len(chunk) != page {
			b.Fatalf("page: %d, %d events", res.status, len(chunk))
		}
		from = res.str("end")
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// residentAndJoiner starts a fake resident server "resident.test" and an
// Axon server hs-b.test that trusts it, with a user bob; it returns the
// resident, the server and bob's access token.
func residentAndJoiner(t *testing.T) (*fedtest.Peer, *homeserver.Server, string) {
	t.Helper()
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	peer, err := hub.AddPeer("resident.test")
	if err != nil {
		t.Fatal(err)
	}
	fs := fedConfigs(t, hub.CAPEM(), hub.Overrides(), "hs-b.test")[0]
	srv := startServer(t, fs.cfg)
	return peer, srv, registerUser(t, srv, "bob", "correct horse battery", nil).str("access_token")
}
