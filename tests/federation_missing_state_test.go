package tests

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/event"
)

// gapPeer is a fake server's side of a fedRoom: the events it built and
// never sent, and the room state before each, served over /event,
// /state_ids, /event_auth and /get_missing_events as a resident server
// would.
type gapPeer struct {
	r    *fedRoom
	name string

	mu          sync.Mutex
	events      map[string]*event.Event
	chain       []string            // the events in the order built
	stateBefore map[string][]string // event ID → IDs of the state before it
	cur         map[event.StateKey]string
	authChain   map[string][]*event.Event // event ID → what /event_auth answers

	// stateIDsMode: "" answers, "garbage" answers nonsense, "hang" never
	// answers until the test ends.
	stateIDsMode atomic.Value
	calls        sync.Map // path prefix → *atomic.Int64
	release      chan struct{}
}

func newGapPeer(t *testing.T, r *fedRoom, name string) *gapPeer {
	g := &gapPeer{r: r, name: name, events: map[string]*event.Event{}, stateBefore: map[string][]string{},
		cur: map[event.StateKey]string{}, authChain: map[string][]*event.Event{}, release: make(chan struct{})}
	g.stateIDsMode.Store("")
	t.Cleanup(func() { close(g.release) })
	var state []struct {
		Type     string `json:"type"`
		StateKey string `json:"state_key"`
		EventID  string `json:"event_id"`
	}
	if st := r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state", &state); st != 200 {
		t.Fatalf("room state: %d", st)
	}
	for _, e := range state {
		g.cur[event.StateKey{Type: e.Type, StateKey: e.StateKey}] = e.EventID
	}
	p := r.peer(name)
	const fed = "/_matrix/federation/v1/"
	p.Handle("GET", fed+"event/", g.counted(fed+"event/", g.serveEvent))
	p.Handle("GET", fed+"state_ids/", g.counted(fed+"state_ids/", g.serveStateIDs))
	p.Handle("GET", fed+"event_auth/", g.counted(fed+"event_auth/", g.serveEventAuth))
	p.Handle("POST", fed+"get_missing_events/", g.counted(fed+"get_missing_events/", g.serveMissing))
	return g
}

func (g *gapPeer) counted(name string, h fasthttp.RequestHandler) fasthttp.RequestHandler {
	c, _ := g.calls.LoadOrStore(name, new(atomic.Int64))
	return func(ctx *fasthttp.RequestCtx) {
		c.(*atomic.Int64).Add(1)
		h(ctx)
	}
}

func (g *gapPeer) count(name string) int64 {
	c, ok := g.calls.Load("/_matrix/federation/v1/" + name + "/")
	if !ok {
		return 0
	}
	return c.(*atomic.Int64).Load()
}

// add records an event the peer built (and keeps to itself).
func (g *gapPeer) add(ev *event.Event) *event.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	before := make([]string, 0, len(g.cur))
	for _, id := range g.cur {
		before = append(before, id)
	}
	g.events[ev.ID] = ev
	g.chain = append(g.chain, ev.ID)
	g.stateBefore[ev.ID] = before
	if ev.IsState() {
		g.cur[ev.Key()] = ev.ID
	}
	return ev
}

func writeFedJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, _ := json.Marshal(v)
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

func lastSegment(ctx *fasthttp.RequestCtx) string {
	p := string(ctx.Path())
	s, _ := url.PathUnescape(p[strings.LastIndex(p, "/")+1:])
	return s
}

func (g *gapPeer) serveEvent(ctx *fasthttp.RequestCtx) {
	g.mu.Lock()
	ev, ok := g.events[lastSegment(ctx)]
	g.mu.Unlock()
	if !ok {
		writeFedJSON(ctx, 404, map[string]string{"errcode": "M_NOT_FOUND", "error": "no such event"})
		return
	}
	writeFedJSON(ctx, 200, map[string]any{"origin": g.name, "origin_server_ts": time.Now().UnixMilli(), "pdus": []json.RawMessage{ev.Raw}})
}

func (g *gapPeer) serveStateIDs(ctx *fasthttp.RequestCtx) {
	switch g.stateIDsMode.Load() {
	case "garbage":
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"pdu_ids": 5, "auth_chain_ids": {"x": null}}`)
		return
	case "hang":
		<-g.release
		return
	}
	g.mu.Lock()
	before, ok := g.stateBefore[string(ctx.QueryArgs().Peek("event_id"))]
	g.mu.Unlock()
	if !ok {
		writeFedJSON(ctx, 404, map[string]string{"errcode": "M_NOT_FOUND", "error": "no such event"})
		return
	}
	writeFedJSON(ctx, 200, map[string]any{"pdu_ids": before, "auth_chain_ids": []string{}})
}

func (g *gapPeer) serveEventAuth(ctx *fasthttp.RequestCtx) {
	g.mu.Lock()
	chain := g.authChain[lastSegment(ctx)]
	g.mu.Unlock()
	raws := []json.RawMessage{}
	for _, ev := range chain {
		raws = append(raws, ev.Raw)
	}
	writeFedJSON(ctx, 200, map[string]any{"auth_chain": raws})
}

// serveMissing answers /get_missing_events with the events right before
// the latest one asked for, at most limit: never reaching back to what the
// asking server holds when the gap is longer.
func (g *gapPeer) serveMissing(ctx *fasthttp.RequestCtx) {
	var req struct {
		Limit  int      `json:"limit"`
		Latest []string `json:"latest_events"`
	}
	_ = json.Unmarshal(ctx.PostBody(), &req)
	g.mu.Lock()
	defer g.mu.Unlock()
	end := -1
	for i, id := range g.chain {
		for _, l := range req.Latest {
			if id == l {
				end = i
			}
		}
	}
	raws := []json.RawMessage{}
	if end > 0 {
		for _, id := range g.chain[max(0, end-req.Limit):end] {
			raws = append(raws, g.events[id].Raw)
		}
	}
	writeFedJSON(ctx, 200, map[string]any{"events": raws})
}

// joinWithName is the content of a join with a display name.
func joinWithName(name string) string {
	return fmt.Sprintf(`{"membership":"join","displayname":%q}`, name)
}

// messageIDs lists the event IDs alice's /messages shows, newest first.
func (r *fedRoom) messageIDs() []string {
	var m struct {
		Chunk []struct {
			EventID string `json:"event_id"`
		} `json:"chunk"`
	}
	r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/messages?dir=b&limit=200", &m)
	ids := make([]string, len(m.Chunk))
	for i, e := range m.Chunk {
		ids[i] = e.EventID
	}
	return ids
}

// stateContent is the content of one current state slot as alice sees it.
func (r *fedRoom) stateContent(typ, key string) map[string]any {
	var c map[string]any
	if r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/"+typ+"/"+url.PathEscape(key), &c) != 200 {
		return nil
	}
	return c
}

// A server that missed a stretch of history longer than one
// /get_missing_events answer, with state changes in it (a display name, a
// new member), still accepts the next PDU: it fetches the state at the
// PDU's prev_event with /state_ids and /event, stores it as outliers, and
// checks the PDU against it. The gap does not enter the timeline. A PDU
// whose auth event is forged is refused, and the forged event is not
// stored.
func TestFederationMissingState(t *testing.T) {
	r := newFedRoom(t, "peer.test", "other.test")
	bob, carol := "@bob:peer.test", "@carol:peer.test"
	join := r.join("peer.test", bob)
	g := newGapPeer(t, r, "peer.test")

	prev, bobMember, carolMember := join.ID, join.ID, ""
	var gap []string
	for i := range 30 {
		var ev *event.Event
		switch {
		case i == 12:
			ev = r.build("peer.test", "m.room.member", &carol, carol, joinWithName("Carol"), []string{prev}, []string{r.create, r.joinRules, r.power})
			carolMember = ev.ID
		case i%10 == 3:
			ev = r.build("peer.test", "m.room.member", &bob, bob, joinWithName(fmt.Sprintf("Bob %d", i)), []string{prev}, []string{r.create, r.joinRules, r.power, bobMember})
			bobMember = ev.ID
		default:
			ev = r.build("peer.test", "m.room.message", nil, bob, fmt.Sprintf(`{"msgtype":"m.text","body":"gap %d"}`, i), []string{prev}, []string{r.create, r.power, bobMember})
		}
		g.add(ev)
		gap = append(gap, ev.ID)
		prev = ev.ID
	}
	// Carol joined inside the gap: without the state at its end, her
	// message would fail the auth rules.
	next := r.build("peer.test", "m.room.message", nil, carol, `{"msgtype":"m.text","body":"after the gap"}`, []string{prev}, []string{r.create, r.power, carolMember})
	g.add(next)
	res := r.send("peer.test", "after-gap", next.Raw)
	if res.status != 200 || pduError(res, next.ID) != "" {
		t.Fatalf("PDU after a gap: %d %s (requests: get_missing_events %d, state_ids %d, event %d)", res.status, res.raw, g.count("get_missing_events"), g.count("state_ids"), g.count("event"))
	}
	if g.count("get_missing_events") == 0 || g.count("state_ids") == 0 || g.count("event") == 0 {
		t.Errorf("requests: get_missing_events %d, state_ids %d, event %d; want each at least once",
			g.count("get_missing_events"), g.count("state_ids"), g.count("event"))
	}
	if c := r.eventContent(next.ID); c == nil || c["body"] != "after the gap" {
		t.Fatalf("alice sees %v for the PDU after the gap (soft-failed, or not stored)", c)
	}
	if m := r.stateContent("m.room.member", carol); m["membership"] != "join" {
		t.Errorf("carol's membership after the gap: %v", m)
	}
	if m := r.stateContent("m.room.member", bob); m["displayname"] != "Bob 23" {
		t.Errorf("bob's member event after the gap: %v, want display name Bob 23", m)
	}
	shown := r.messageIDs()
	if len(shown) == 0 || shown[0] != next.ID {
		t.Fatalf("/messages starts with %v, want %s", shown[:min(3, len(shown))], next.ID)
	}
	for _, id := range gap {
		if containsStr(shown, id) {
			t.Errorf("gap event %s is in the timeline", id)
		}
	}
	// Carol's member event is held for the state it is part of, not for a
	// place in the graph: the state before it is not known here.
	if st, body := r.fedGet("peer.test", "GET", "/_matrix/federation/v1/state_ids/"+url.PathEscape(r.roomID)+"?event_id="+url.QueryEscape(carolMember), nil); st != 404 {
		t.Errorf("/state_ids at an outlier without state: %d %v, want 404", st, body)
	}

	// A PDU citing a forged auth event (bob's member event signed by
	// another server's key) is refused; the forged event is not stored.
	forged := r.build("other.test", "m.room.member", &bob, bob, joinWithName("Mallory"), []string{next.ID}, []string{r.create, r.joinRules, r.power, bobMember})
	g.add(forged)
	cites := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"on a forged member event"}`, []string{next.ID}, []string{r.create, r.power, forged.ID})
	g.add(cites)
	g.mu.Lock()
	g.authChain[cites.ID] = []*event.Event{forged}
	g.mu.Unlock()
	res = r.send("peer.test", "forged-auth", cites.Raw)
	if res.status != 200 || pduError(res, cites.ID) == "" {
		t.Fatalf("PDU with a forged auth event: %d %s", res.status, res.raw)
	}
	if r.eventContent(forged.ID) != nil || r.eventContent(cites.ID) != nil {
		t.Fatal("the forged auth event or the PDU citing it was stored")
	}
	if m := r.stateContent("m.room.member", bob); m["displayname"] != "Bob 23" {
		t.Errorf("bob's member event after the forged one: %v", m)
	}
}

// A peer answering /state_ids with garbage, or not at all, costs a
// bounded, logged failure: the PDU gets an error result, and the room
// stays responsive meanwhile.
func TestFederationMissingStateBadPeer(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	bob := "@bob:peer.test"
	join := r.join("peer.test", bob)
	g := newGapPeer(t, r, "peer.test")
	prev := join.ID
	gapOf := func(n int, label string) *event.Event {
		for i := range n {
			ev := r.build("peer.test", "m.room.message", nil, bob, fmt.Sprintf(`{"msgtype":"m.text","body":"%s %d"}`, label, i), []string{prev}, []string{r.create, r.power, join.ID})
			g.add(ev)
			prev = ev.ID
		}
		ev := r.build("peer.test", "m.room.message", nil, bob, fmt.Sprintf(`{"msgtype":"m.text","body":"after %s"}`, label), []string{prev}, []string{r.create, r.power, join.ID})
		return g.add(ev)
	}

	g.stateIDsMode.Store("garbage")
	x := gapOf(25, "garbage")
	res := r.send("peer.test", "garbage", x.Raw)
	if res.status != 200 || pduError(res, x.ID) == "" {
		t.Fatalf("PDU after a gap, /state_ids garbage: %d %s", res.status, res.raw)
	}
	r.sendMessage("after-garbage", "the room still works")

	g.stateIDsMode.Store("hang")
	y := gapOf(25, "hang")
	done := make(chan sendReply, 1)
	start := time.Now()
	go func() { done <- r.send("peer.test", "hang", y.Raw) }()
	waitFor(t, func() bool { return g.count("state_ids") >= 2 }, "the /state_ids request that hangs")
	sent := time.Now()
	r.sendMessage("while-hanging", "sent while a fetch hangs")
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("a send into the room took %v while a state fetch hung", d)
	}
	select {
	case res := <-done:
		if res.status != 200 || pduError(res, y.ID) == "" {
			t.Fatalf("PDU after a gap, /state_ids hanging: %d %s", res.status, res.raw)
		}
		t.Logf("answered after %v", time.Since(start))
	case <-time.After(40 * time.Second):
		t.Fatal("no answer to the transaction 40 s into a hanging /state_ids")
	}
}

// A user joining over federation gets the room's state, not its history:
// bob's initial /sync (plain and with lazy-loaded members) starts its
// timeline at his join and carries the state from before it (topic,
// create, alice's membership) as state, and his /messages shows nothing
// from before the join (history visible to joined members only).
func TestFederationJoinerTimelineStartsAtJoin(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "prejoin", "room_version": "11",
		"initial_state": []any{map[string]any{"type": "m.room.history_visibility", "state_key": "", "content": map[string]any{"history_visibility": "joined"}}}})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	tr.say(alice, roomID, "pre1", "pre-join 1")
	if r := tr.as(alice, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/state/m.room.topic/", map[string]any{"topic": "pre-join topic"}); r.status != 200 {
		t.Fatalf("topic: %d %v", r.status, r.body)
	}
	tr.say(alice, roomID, "pre2", "pre-join 2")
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#prejoin:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}

	for _, filter := range []string{"", `{"room":{"state":{"lazy_load_members":true}}}`} {
		path := "/_matrix/client/v3/sync?timeout=0"
		if filter != "" {
			path += "&filter=" + url.QueryEscape(filter)
		}
		r := tr.as(bob, "GET", path, nil)
		if r.status != 200 {
			t.Fatalf("sync: %d %v", r.status, r.body)
		}
		rooms, _ := r.body["rooms"].(map[string]any)
		join, _ := rooms["join"].(map[string]any)
		room, _ := join[roomID].(map[string]any)
		if room == nil {
			t.Fatalf("filter %q: the room is not in bob's /sync: %v", filter, r.body)
		}
		timeline := syncEvents(room, "timeline")
		if len(timeline) == 0 || timeline[0]["type"] != "m.room.member" || timeline[0]["state_key"] != bob {
			t.Errorf("filter %q: timeline starts with %v, want bob's join", filter, firstOf(timeline))
		}
		for _, ev := range timeline {
			if ev["type"] == "m.room.message" || ev["type"] == "m.room.topic" {
				t.Errorf("filter %q: pre-join event in bob's timeline: %v", filter, ev)
			}
		}
		state := map[string]map[string]any{}
		for _, ev := range syncEvents(room, "state") {
			key, _ := ev["state_key"].(string)
			state[ev["type"].(string)+"|"+key] = ev
		}
		if c, _ := state["m.room.topic|"]["content"].(map[string]any); c["topic"] != "pre-join topic" {
			t.Errorf("filter %q: state topic %v", filter, state["m.room.topic|"])
		}
		if state["m.room.create|"] == nil {
			t.Errorf("filter %q: no m.room.create in bob's state", filter)
		}
		if filter == "" && state["m.room.member|"+alice] == nil {
			t.Errorf("no membership of alice in bob's state")
		}
	}

	tr.say(alice, roomID, "post", "after bob joined")
	waitFor(t, func() bool { return tr.bodies(bob, roomID)["after bob joined"] == 1 }, "bob sees the message after his join")
	for body := range tr.bodies(bob, roomID) {
		if strings.HasPrefix(body, "pre-join") {
			t.Errorf("bob's /messages shows %q from before his join", body)
		}
	}
}

func syncEvents(room map[string]any, section string) []map[string]any {
	s, _ := room[section].(map[string]any)
	list, _ := s["events"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func firstOf(evs []map[string]any) map[string]any {
	if len(evs) == 0 {
		return nil
	}
	return evs[0]
}
