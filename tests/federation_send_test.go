package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// fedRoom is a room on an Axon server ("hs-a.test", user alice) that fake
// servers of a fedtest hub take part in by sending transactions.
type fedRoom struct {
	t      *testing.T
	hub    *fedtest.Hub
	srv    *homeserver.Server
	fs     *fedServer
	token  string
	roomID string
	v      version.Spec
	depth  int64
	// Slots of the room's auth state.
	create, joinRules, power string
}

func newFedRoom(t *testing.T, peers ...string) *fedRoom {
	t.Helper()
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	for _, p := range peers {
		if _, err := hub.AddPeer(p); err != nil {
			t.Fatal(err)
		}
	}
	fs := fedConfigs(t, hub.CAPEM(), hub.Overrides(), "hs-a.test")[0]
	r := &fedRoom{t: t, hub: hub, fs: fs, depth: 100}
	r.srv = startServer(t, fs.cfg)
	r.token = registerUser(t, r.srv, "alice", "correct horse battery", nil).str("access_token")
	cr := call(t, r.srv, "POST", "/_matrix/client/v3/createRoom", r.token, map[string]any{"preset": "public_chat", "room_version": "10"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	r.roomID = cr.str("room_id")
	if r.v, err = version.Lookup("10"); err != nil {
		t.Fatal(err)
	}
	var state []struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
	}
	r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state", &state)
	for _, e := range state {
		switch e.Type {
		case "m.room.create":
			r.create = e.EventID
		case "m.room.join_rules":
			r.joinRules = e.EventID
		case "m.room.power_levels":
			r.power = e.EventID
		}
	}
	return r
}

// get decodes a client API GET as alice.
func (r *fedRoom) get(path string, out any) int {
	r.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+r.srv.ClientAddr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			r.t.Fatalf("GET %s: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// latest is the ID of the room's newest event, as alice sees it.
func (r *fedRoom) latest() string {
	r.t.Helper()
	var m struct {
		Chunk []struct {
			EventID string `json:"event_id"`
		} `json:"chunk"`
	}
	r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/messages?dir=b&limit=1", &m)
	if len(m.Chunk) == 0 {
		r.t.Fatal("room has no events")
	}
	return m.Chunk[0].EventID
}

func (r *fedRoom) peer(name string) *fedtest.Peer {
	p, ok := r.hub.Peer(name)
	if !ok {
		r.t.Fatalf("no peer %s", name)
	}
	return p
}

// build has peer build an event of the room.
func (r *fedRoom) build(peer, typ string, stateKey *string, sender, content string, prev, authEvents []string) *event.Event {
	r.t.Helper()
	r.depth++
	ev, err := r.peer(peer).BuildEvent(r.v, event.Proto{RoomID: r.roomID, Type: typ, StateKey: stateKey, Sender: sender,
		Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: authEvents, Depth: r.depth,
		OriginServerTS: time.Now().UnixMilli()})
	if err != nil {
		r.t.Fatal(err)
	}
	return ev
}

// join has user (of peer) join the room through a transaction.
func (r *fedRoom) join(peer, user string) *event.Event {
	r.t.Helper()
	ev := r.build(peer, "m.room.member", &user, user, `{"membership":"join"}`, []string{r.latest()}, []string{r.create, r.joinRules, r.power})
	res := r.send(peer, fmt.Sprintf("join-%d", r.depth), ev.Raw)
	if res.status != 200 || pduError(res, ev.ID) != "" {
		r.t.Fatalf("join of %s: %d %s", user, res.status, res.raw)
	}
	return ev
}

type sendReply struct {
	status int
	raw    []byte
	body   map[string]any
}

// send PUTs a transaction from peer holding pdus.
func (r *fedRoom) send(peer, txnID string, pdus ...json.RawMessage) sendReply {
	r.t.Helper()
	body, _ := json.Marshal(map[string]any{"origin": peer, "origin_server_ts": time.Now().UnixMilli(), "pdus": pdus})
	return r.sendBody(peer, txnID, body)
}

func (r *fedRoom) sendBody(peer, txnID string, body []byte) sendReply {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, raw, err := r.peer(peer).Do(ctx, r.srv.FederationAddr(), "hs-a.test", "PUT",
		"/_matrix/federation/v1/send/"+url.PathEscape(txnID), body, "")
	if err != nil {
		r.t.Fatalf("send %s: %v", txnID, err)
	}
	rep := sendReply{status: status, raw: raw}
	_ = json.Unmarshal(raw, &rep.body)
	return rep
}

// pduError is the error a transaction's answer gives for eventID ("" for
// success); "absent" when the answer has no entry for it.
func pduError(res sendReply, eventID string) string {
	pdus, _ := res.body["pdus"].(map[string]any)
	e, ok := pdus[eventID].(map[string]any)
	if !ok {
		return "absent"
	}
	s, _ := e["error"].(string)
	return s
}

// eventContent returns the content of eventID as alice sees it, or nil
// when she cannot see it.
func (r *fedRoom) eventContent(eventID string) map[string]any {
	var ev struct {
		Content map[string]any `json:"content"`
	}
	if r.get("/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/event/"+url.PathEscape(eventID), &ev) != 200 {
		return nil
	}
	if ev.Content == nil {
		ev.Content = map[string]any{}
	}
	return ev.Content
}

// sendMessage has alice send a text.
func (r *fedRoom) sendMessage(txn, text string) string {
	r.t.Helper()
	res := call(r.t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/send/m.room.message/"+txn, r.token,
		map[string]any{"msgtype": "m.text", "body": text})
	if res.status != 200 {
		r.t.Fatalf("send: %d %v", res.status, res.body)
	}
	return res.str("event_id")
}

// An inbound transaction from a fake server that joined the room is
// accepted and deduplicated on resend; a forged, a hash-mismatched and an
// unauthorised PDU are each handled as the spec says.
func TestFederationInboundTransaction(t *testing.T) {
	r := newFedRoom(t, "peer.test", "other.test")
	bob := "@bob:peer.test"
	join := r.join("peer.test", bob)

	msg := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"hello from peer"}`,
		[]string{join.ID}, []string{r.create, r.power, join.ID})
	first := r.send("peer.test", "txn-msg", msg.Raw)
	if first.status != 200 || pduError(first, msg.ID) != "" {
		t.Fatalf("message: %d %s", first.status, first.raw)
	}
	if c := r.eventContent(msg.ID); c == nil || c["body"] != "hello from peer" {
		t.Fatalf("alice sees %v", c)
	}
	// A resend of the same transaction ID gets the same answer and stores
	// nothing twice.
	again := r.send("peer.test", "txn-msg", msg.Raw)
	if again.status != 200 || !bytes.Equal(again.raw, first.raw) {
		t.Fatalf("resend answered %d %s, first %s", again.status, again.raw, first.raw)
	}

	// Forged: claims to come from bob but is signed by another server's key.
	forged := r.build("other.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"forged"}`,
		[]string{msg.ID}, []string{r.create, r.power, join.ID})
	res := r.send("peer.test", "txn-forged", forged.Raw)
	if res.status != 200 || !strings.Contains(pduError(res, forged.ID), "Signature") {
		t.Fatalf("forged PDU: %d %s", res.status, res.raw)
	}
	if r.eventContent(forged.ID) != nil {
		t.Fatal("the forged event was stored")
	}

	// Hash mismatch: the content is changed after signing (the signature
	// covers the redacted form, so it still verifies): stored redacted.
	good := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"original"}`,
		[]string{msg.ID}, []string{r.create, r.power, join.ID})
	tampered := bytes.Replace(good.Raw, []byte(`"original"`), []byte(`"tampered"`), 1)
	res = r.send("peer.test", "txn-hash", tampered)
	if res.status != 200 || pduError(res, good.ID) != "" {
		t.Fatalf("hash-mismatched PDU: %d %s", res.status, res.raw)
	}
	if c := r.eventContent(good.ID); c == nil || len(c) != 0 {
		t.Fatalf("hash-mismatched event content = %v, want the redacted (empty) content", c)
	}

	// Unauthorised: carol never joined.
	carol := "@carol:peer.test"
	unauth := r.build("peer.test", "m.room.message", nil, carol, `{"msgtype":"m.text","body":"let me in"}`,
		[]string{good.ID}, []string{r.create, r.power})
	res = r.send("peer.test", "txn-unauth", unauth.Raw)
	if res.status != 200 || !strings.Contains(pduError(res, unauth.ID), "rejected") {
		t.Fatalf("unauthorised PDU: %d %s", res.status, res.raw)
	}
	if r.eventContent(unauth.ID) != nil {
		t.Fatal("alice sees the rejected event")
	}

	// A PDU of a room this server is not in fails alone, not the
	// transaction.
	stray, err := r.peer("peer.test").BuildEvent(r.v, event.Proto{RoomID: "!elsewhere:peer.test", Type: "m.room.message", Sender: bob,
		Content: json.RawMessage(`{"body":"x"}`), PrevEvents: []string{"$a"}, AuthEvents: []string{"$b"}, Depth: 3, OriginServerTS: 1})
	if err != nil {
		t.Fatal(err)
	}
	res = r.send("peer.test", "txn-stray", stray.Raw)
	if res.status != 200 || !strings.Contains(pduError(res, stray.ID), "not in the room") {
		t.Fatalf("PDU of an unknown room: %d %s", res.status, res.raw)
	}
}

// Malformed and oversized transactions get Matrix errors; unsigned
// requests 401.
func TestFederationBadTransactions(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	pdus := make([]json.RawMessage, 51)
	for i := range pdus {
		pdus[i] = json.RawMessage(`{"room_id":"!x:peer.test"}`)
	}
	edus := make([]map[string]any, 101)
	for i := range edus {
		edus[i] = map[string]any{"edu_type": "m.typing", "content": map[string]any{}}
	}
	tooManyEDUs, _ := json.Marshal(map[string]any{"origin": "peer.test", "origin_server_ts": 1, "pdus": []any{}, "edus": edus})
	tooManyPDUs, _ := json.Marshal(map[string]any{"origin": "peer.test", "origin_server_ts": 1, "pdus": pdus})
	oversized, _ := json.Marshal(map[string]any{"origin": "peer.test", "origin_server_ts": 1, "pdus": []any{},
		"edus": []any{map[string]any{"edu_type": "m.x", "content": map[string]any{"pad": strings.Repeat("x", 5<<20)}}}})
	for _, tc := range []struct {
		name, body string
		status     int
		errcode    string
	}{
		{"51 PDUs", string(tooManyPDUs), 400, "M_BAD_JSON"},
		{"101 EDUs", string(tooManyEDUs), 400, "M_BAD_JSON"},
		{"array", `[]`, 400, "M_BAD_JSON"},
		{"pdus not a list", `{"origin":"peer.test","origin_server_ts":1,"pdus":{}}`, 400, "M_BAD_JSON"},
		{"no pdus", `{"origin":"peer.test","origin_server_ts":1}`, 400, "M_BAD_JSON"},
		{"origin not the signer", `{"origin":"else.test","origin_server_ts":1,"pdus":[]}`, 403, "M_FORBIDDEN"},
		{"empty", `{"origin":"peer.test","origin_server_ts":1,"pdus":[]}`, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.sendBody("peer.test", "bad-"+strings.ReplaceAll(tc.name, " ", "-"), []byte(tc.body))
			if res.status != tc.status || (tc.errcode != "" && res.body["errcode"] != tc.errcode) {
				t.Fatalf("got %d %s, want %d %s", res.status, res.raw, tc.status, tc.errcode)
			}
		})
	}
	// Over the 4 MiB bound: refused (413, or the connection closed while
	// the body is still arriving), and the server carries on.
	{
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		status, _, err := r.peer("peer.test").Do(ctx, r.srv.FederationAddr(), "hs-a.test", "PUT", "/_matrix/federation/v1/send/big", oversized, "")
		cancel()
		if err == nil && status != 413 {
			t.Fatalf("oversized transaction answered %d", status)
		}
		if res := r.send("peer.test", "after-big"); res.status != 200 {
			t.Fatalf("after an oversized body: %d %s", res.status, res.raw)
		}
	}
	// Unsigned.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, _, err := r.peer("peer.test").Do(ctx, r.srv.FederationAddr(), "hs-a.test", "PUT", "/_matrix/federation/v1/send/x",
		[]byte(`{"origin":"peer.test","origin_server_ts":1,"pdus":[]}`), "X-Matrix origin=peer.test,key=\"ed25519:x\",sig=\"AAAA\"")
	if err != nil || status != 401 {
		t.Fatalf("mis-signed send: %d %v", status, err)
	}
}

// A server the room's ACL denies has its PDUs refused; others carry on.
func TestFederationServerACL(t *testing.T) {
	r := newFedRoom(t, "peer.test", "evil.test")
	res := call(t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.server_acl/", r.token,
		map[string]any{"allow": []string{"*"}, "deny": []string{"evil.test"}, "allow_ip_literals": false})
	if res.status != 200 {
		t.Fatalf("setting the ACL: %d %v", res.status, res.body)
	}
	eve := "@eve:evil.test"
	ev := r.build("evil.test", "m.room.member", &eve, eve, `{"membership":"join"}`, []string{r.latest()}, []string{r.create, r.joinRules, r.power})
	rep := r.send("evil.test", "evil-join", ev.Raw)
	if rep.status != 200 || !strings.Contains(pduError(rep, ev.ID), "ACL") {
		t.Fatalf("ACL-denied PDU: %d %s", rep.status, rep.raw)
	}
	r.join("peer.test", "@bob:peer.test")
}

// waitPDUs waits until peer has received PDUs with all of ids, and returns
// the IDs of every PDU it received, in order.
func waitPDUs(t *testing.T, p *fedtest.Peer, v version.Spec, ids ...string) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []string
		for _, txn := range p.Transactions() {
			for _, raw := range txn.PDUs {
				id, err := event.EventIDFor(raw, v)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
		}
		missing := 0
		for _, id := range ids {
			if !containsStr(got, id) {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer %s received %v, still missing %d of %v", p.Name, got, missing, ids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// inOrder reports whether want appears in got in the same relative order.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// Alice's events reach the peer; when the peer is down the server backs
// off, and when it is back (it contacts us) everything arrives in order,
// also across an Axon restart.
func TestFederationOutboundDelivery(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	peer := r.peer("peer.test")
	r.join("peer.test", "@bob:peer.test")

	first := r.sendMessage("m1", "hello bob")
	waitPDUs(t, peer, r.v, first)

	// Down: the transaction fails and is retried with backoff.
	peer.FailWith(500)
	var down []string
	for i := range 3 {
		down = append(down, r.sendMessage(fmt.Sprintf("d%d", i), fmt.Sprintf("while down %d", i)))
	}
	waitFor(t, func() bool { return r.srv.Servers().Stats().Failed >= 1 }, "a failed attempt")
	peer.FailWith(0)
	// The peer reaching us resets the backoff at once.
	if res := r.send("peer.test", "hello-again"); res.status != 200 {
		t.Fatalf("empty transaction: %d %s", res.status, res.raw)
	}
	got := waitPDUs(t, peer, r.v, down...)
	if !inOrder(got, append([]string{first}, down...)) {
		t.Fatalf("received %v, want %v in order", got, down)
	}

	// Down across a restart: the outbox survives and is delivered by the
	// new process.
	peer.FailWith(500)
	var restart []string
	for i := range 2 {
		restart = append(restart, r.sendMessage(fmt.Sprintf("r%d", i), fmt.Sprintf("before restart %d", i)))
	}
	waitFor(t, func() bool { return r.srv.Servers().Stats().Failed >= 1 }, "a failed attempt before the restart")
	stopServer(t, r.srv)
	peer.FailWith(0)
	r.srv = startServer(t, r.fs.cfg)
	got = waitPDUs(t, peer, r.v, restart...)
	if !inOrder(got, append(append([]string{first}, down...), restart...)) {
		t.Fatalf("after restart received %v", got)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("PDU %s delivered in two transactions", id)
		}
		seen[id] = true
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A PDU whose prev_event Axon lacks makes it ask the origin with
// /get_missing_events, and both events are accepted; an origin answering
// garbage costs only that PDU.
func TestFederationFetchesMissingEvents(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	bob := "@bob:peer.test"
	join := r.join("peer.test", bob)
	auth := []string{r.create, r.power, join.ID}
	m1 := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"one"}`, []string{join.ID}, auth)
	m2 := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"two"}`, []string{m1.ID}, auth)
	var asked atomic.Int32
	r.peer("peer.test").Handle("POST", "/_matrix/federation/v1/get_missing_events/", func(ctx *fasthttp.RequestCtx) {
		asked.Add(1)
		var req struct {
			Latest []string `json:"latest_events"`
		}
		_ = json.Unmarshal(ctx.PostBody(), &req)
		ctx.SetContentType("application/json")
		if len(req.Latest) == 1 && req.Latest[0] == m2.ID {
			body, _ := json.Marshal(map[string]any{"events": []json.RawMessage{m1.Raw}})
			ctx.SetBody(body)
			return
		}
		ctx.SetBodyString(`{"events": "garbage"}`)
	})
	res := r.send("peer.test", "txn-gap", m2.Raw)
	if res.status != 200 || pduError(res, m2.ID) != "" || asked.Load() != 1 {
		t.Fatalf("PDU after a gap: %d %s (asked %d times)", res.status, res.raw, asked.Load())
	}
	for _, id := range []string{m1.ID, m2.ID} {
		if r.eventContent(id) == nil {
			t.Errorf("alice does not see %s", id)
		}
	}
	// The origin answers garbage for this gap.
	m3 := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"three"}`, []string{m2.ID}, auth)
	m4 := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"four"}`, []string{m3.ID}, auth)
	res = r.send("peer.test", "txn-garbage", m4.Raw)
	if res.status != 200 || !strings.Contains(pduError(res, m4.ID), "Missing prev_events") {
		t.Fatalf("PDU after an unfillable gap: %d %s", res.status, res.raw)
	}
}

// Receipts and presence a fake server sends reach alice's /sync.
func TestFederationInboundEDUs(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	bob := "@bob:peer.test"
	join := r.join("peer.test", bob)
	edus := []map[string]any{
		{"edu_type": "m.receipt", "content": map[string]any{r.roomID: map[string]any{"m.read": map[string]any{
			bob: map[string]any{"event_ids": []string{join.ID}, "data": map[string]any{"ts": 1234}}}}}},
		// A receipt claimed for another server's user is ignored.
		{"edu_type": "m.receipt", "content": map[string]any{r.roomID: map[string]any{"m.read": map[string]any{
			"@mallory:elsewhere.test": map[string]any{"event_ids": []string{join.ID}, "data": map[string]any{"ts": 1}}}}}},
		{"edu_type": "m.presence", "content": map[string]any{"push": []any{map[string]any{
			"user_id": bob, "presence": "online", "last_active_ago": 5, "currently_active": true}}}},
		{"edu_type": "m.typing", "content": map[string]any{"room_id": r.roomID, "user_id": bob, "typing": true}},
	}
	body, _ := json.Marshal(map[string]any{"origin": "peer.test", "origin_server_ts": 1, "pdus": []any{}, "edus": edus})
	if res := r.sendBody("peer.test", "edus-1", body); res.status != 200 {
		t.Fatalf("EDU transaction: %d %s", res.status, res.raw)
	}
	var sync struct {
		Rooms struct {
			Join map[string]struct {
				Ephemeral struct {
					Events []struct {
						Type    string                     `json:"type"`
						Content map[string]json.RawMessage `json:"content"`
					} `json:"events"`
				} `json:"ephemeral"`
			} `json:"join"`
		} `json:"rooms"`
		Presence struct {
			Events []struct {
				Sender string `json:"sender"`
			} `json:"events"`
		} `json:"presence"`
	}
	if st := r.get("/_matrix/client/v3/sync", &sync); st != 200 {
		t.Fatalf("sync: %d", st)
	}
	var receipt string
	for _, e := range sync.Rooms.Join[r.roomID].Ephemeral.Events {
		if e.Type == "m.receipt" {
			receipt = string(e.Content[join.ID])
		}
	}
	if !strings.Contains(receipt, bob) || strings.Contains(receipt, "mallory") {
		t.Fatalf("receipt for %s in alice's sync: %q", join.ID, receipt)
	}
	found := false
	for _, e := range sync.Presence.Events {
		found = found || e.Sender == bob
	}
	if !found {
		t.Errorf("bob's presence is not in alice's sync: %+v", sync.Presence.Events)
	}
}

// A destination that hangs holds up only its own queue: another server in
// the room still gets every event, and the hanging one catches up once it
// answers.
func TestFederationHangingDestination(t *testing.T) {
	r := newFedRoom(t, "slow.test", "fast.test")
	r.join("slow.test", "@s:slow.test")
	r.join("fast.test", "@f:fast.test")
	slow, fast := r.peer("slow.test"), r.peer("fast.test")
	slow.Hang()
	var ids []string
	for i := range 3 {
		ids = append(ids, r.sendMessage(fmt.Sprintf("h%d", i), fmt.Sprintf("message %d", i)))
	}
	if got := waitPDUs(t, fast, r.v, ids...); !inOrder(got, ids) {
		t.Fatalf("fast.test received %v", got)
	}
	slow.Release()
	if got := waitPDUs(t, slow, r.v, ids...); !inOrder(got, ids) {
		t.Fatalf("slow.test received %v", got)
	}
}

// An m.direct_to_device EDU reaches the recipient's to-device inbox.
func TestFederationInboundToDevice(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	edu := map[string]any{"edu_type": "m.direct_to_device", "content": map[string]any{
		"sender": "@bob:peer.test", "type": "m.room_key_request", "message_id": "m1",
		"messages": map[string]any{"@alice:hs-a.test": map[string]any{"*": map[string]any{"action": "request_cancellation", "request_id": "r1"}}},
	}}
	forged := map[string]any{"edu_type": "m.direct_to_device", "content": map[string]any{
		"sender": "@eve:other.test", "type": "m.forged", "message_id": "m2",
		"messages": map[string]any{"@alice:hs-a.test": map[string]any{"*": map[string]any{}}},
	}}
	body, _ := json.Marshal(map[string]any{"origin": "peer.test", "origin_server_ts": 1, "pdus": []any{}, "edus": []any{edu, forged}})
	if res := r.sendBody("peer.test", "td-1", body); res.status != 200 {
		t.Fatalf("to-device transaction: %d %s", res.status, res.raw)
	}
	var sync struct {
		ToDevice struct {
			Events []struct {
				Sender string `json:"sender"`
				Type   string `json:"type"`
			} `json:"events"`
		} `json:"to_device"`
	}
	if st := r.get("/_matrix/client/v3/sync", &sync); st != 200 {
		t.Fatalf("sync: %d", st)
	}
	if len(sync.ToDevice.Events) != 1 || sync.ToDevice.Events[0].Sender != "@bob:peer.test" || sync.ToDevice.Events[0].Type != "m.room_key_request" {
		t.Fatalf("alice's to-device events: %+v", sync.ToDevice.Events)
	}
}

// Alice's typing notices, receipts and presence go to the servers in her
// rooms as EDUs; queued while the server is down, typing coalesces to the
// latest state.
func TestFederationOutboundEDUs(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	peer := r.peer("peer.test")
	join := r.join("peer.test", "@bob:peer.test")
	room := url.PathEscape(r.roomID)
	typing := func(on bool) {
		if res := call(t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+room+"/typing/@alice:hs-a.test", r.token,
			map[string]any{"typing": on, "timeout": 30000}); res.status != 200 {
			t.Fatalf("typing: %d %v", res.status, res.body)
		}
	}
	peer.FailWith(500)
	if res := call(t, r.srv, "POST", "/_matrix/client/v3/rooms/"+room+"/receipt/m.read/"+url.PathEscape(join.ID), r.token, map[string]any{}); res.status != 200 {
		t.Fatalf("receipt: %d %v", res.status, res.body)
	}
	waitFor(t, func() bool { return r.srv.Servers().Stats().Failed >= 1 }, "the receipt's failed attempt")
	typing(true)
	typing(false)
	typing(true)
	peer.FailWith(0)
	if res := r.send("peer.test", "wake-up"); res.status != 200 {
		t.Fatalf("empty transaction: %d", res.status)
	}
	var edus []map[string]any
	waitFor(t, func() bool {
		edus = edus[:0]
		for _, txn := range peer.Transactions() {
			for _, raw := range txn.EDUs {
				var e map[string]any
				_ = json.Unmarshal(raw, &e)
				edus = append(edus, e)
			}
		}
		n := 0
		for _, e := range edus {
			if e["edu_type"] == "m.typing" || e["edu_type"] == "m.receipt" {
				n++
			}
		}
		return n >= 2
	}, "the receipt and typing EDUs")
	var typings []any
	receipts := 0
	for _, e := range edus {
		switch e["edu_type"] {
		case "m.typing":
			typings = append(typings, e["content"].(map[string]any)["typing"])
		case "m.receipt":
			receipts++
		}
	}
	if len(typings) != 1 || typings[0] != true || receipts != 1 {
		t.Fatalf("peer received typing %v and %d receipts, want one coalesced typing=true and one receipt", typings, receipts)
	}
}

// An event allowed by its auth events and the state before it, but not by
// the room's current state, is soft-failed: accepted from the sender's
// point of view, kept away from clients.
func TestFederationSoftFail(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	bob := "@bob:peer.test"
	join := r.join("peer.test", bob)
	if res := call(t, r.srv, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/ban", r.token,
		map[string]any{"user_id": bob}); res.status != 200 {
		t.Fatalf("ban: %d %v", res.status, res.body)
	}
	// Built on the join, before the ban: bob was a member there.
	late := r.build("peer.test", "m.room.message", nil, bob, `{"msgtype":"m.text","body":"sent before I saw the ban"}`,
		[]string{join.ID}, []string{r.create, r.power, join.ID})
	res := r.send("peer.test", "txn-late", late.Raw)
	if res.status != 200 || pduError(res, late.ID) != "" {
		t.Fatalf("soft-failed PDU: %d %s", res.status, res.raw)
	}
	if c := r.eventContent(late.ID); c != nil {
		t.Fatalf("alice sees the soft-failed event: %v", c)
	}
}
