package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
)

// syncJSON is a raw /sync response.
type syncJSON map[string]any

// doSync runs GET /sync with the query parameters and wants 200.
func doSync(t *testing.T, srv *homeserver.Server, token string, q url.Values) syncJSON {
	t.Helper()
	r := call(t, srv, "GET", v3+"/sync?"+q.Encode(), token, nil)
	if r.status != 200 {
		t.Fatalf("sync %v: %d %v", q, r.status, r.body)
	}
	return syncJSON(r.body)
}

func (s syncJSON) next() string { return s["next_batch"].(string) }

// path walks nested objects; nil when any step is missing.
func (s syncJSON) path(keys ...string) any {
	var cur any = map[string]any(s)
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// events returns the events of a section such as rooms.join.!r.timeline.
func (s syncJSON) events(keys ...string) []map[string]any {
	list, _ := s.path(append(keys, "events")...).([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func msgBodies(evs []map[string]any) []string {
	var out []string
	for _, e := range evs {
		if e["type"] == "m.room.message" {
			out = append(out, e["content"].(map[string]any)["body"].(string))
		}
	}
	return out
}

// roomWith makes alice create a public room and the others join it.
func roomWith(t *testing.T, alice *mautrix.Client, others ...*mautrix.Client) id.RoomID {
	t.Helper()
	ctx := bg(t)
	r, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range others {
		if _, err := o.JoinRoomByID(ctx, r.RoomID); err != nil {
			t.Fatal(err)
		}
	}
	return r.RoomID
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestSyncLongPollWakesOnMessage(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)

	first, err := bob.SyncRequest(ctx, 0, "", "", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first.Rooms.Join[roomID]; !ok {
		t.Fatalf("initial sync lacks the joined room %s", roomID)
	}
	type result struct {
		resp *mautrix.RespSync
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		resp, err := bob.SyncRequest(ctx, 30_000, first.NextBatch, "", false, "")
		done <- result{resp, time.Since(start), err}
	}()
	time.Sleep(300 * time.Millisecond) // let the request park
	if _, err := alice.SendText(ctx, roomID, "wake up"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.took > 5*time.Second {
		t.Fatalf("long-poll returned after %v, want well before its 30 s timeout", r.took)
	}
	var got []string
	for _, e := range r.resp.Rooms.Join[roomID].Timeline.Events {
		if e.Type == event.EventMessage {
			body, _ := e.Content.Raw["body"].(string)
			got = append(got, body)
		}
	}
	if !slices.Equal(got, []string{"wake up"}) {
		t.Fatalf("woken sync timeline messages = %q", got)
	}

	// A long-poll with nothing to return waits its timeout and returns an
	// empty response with a token.
	start := time.Now()
	empty := doSync(t, srv, bob.AccessToken, q("since", r.resp.NextBatch, "timeout", "300"))
	if time.Since(start) < 250*time.Millisecond {
		t.Fatalf("an idle long-poll returned after %v, before its timeout", time.Since(start))
	}
	if empty.path("rooms") != nil || empty.next() == "" {
		t.Fatalf("idle long-poll: %v", empty)
	}
}

func TestSyncTypingAndReceipts(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)
	sent, err := alice.SendText(ctx, roomID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	since := doSync(t, srv, bob.AccessToken, nil).next()

	if _, err := alice.UserTyping(ctx, roomID, true, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s := doSync(t, srv, bob.AccessToken, q("since", since, "timeout", "5000"))
	typing := findEphemeral(s, roomID, "m.typing")
	if typing == nil || fmt.Sprint(typing["content"].(map[string]any)["user_ids"]) != fmt.Sprint([]any{alice.UserID.String()}) {
		t.Fatalf("bob's sync after alice typed: ephemeral %v", s.path("rooms", "join", roomID.String(), "ephemeral"))
	}
	// The notice expires by itself: a long-poll wakes with the empty set.
	start := time.Now()
	s = doSync(t, srv, bob.AccessToken, q("since", s.next(), "timeout", "10000"))
	typing = findEphemeral(s, roomID, "m.typing")
	if typing == nil || len(typing["content"].(map[string]any)["user_ids"].([]any)) != 0 {
		t.Fatalf("after the typing timeout: %v", s.path("rooms"))
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("typing expiry took %v", time.Since(start))
	}

	// Someone else's typing is refused.
	wantReply(t, "typing as another user", call(t, srv, "PUT", v3+"/rooms/"+url.PathEscape(roomID.String())+"/typing/"+url.PathEscape(bob.UserID.String()),
		alice.AccessToken, map[string]any{"typing": true, "timeout": 1000}), 403, "M_FORBIDDEN")

	// A public receipt reaches bob; a private one does not.
	if err := alice.SendReceipt(ctx, roomID, sent.EventID, event.ReceiptTypeRead, nil); err != nil {
		t.Fatal(err)
	}
	s = doSync(t, srv, bob.AccessToken, q("since", s.next(), "timeout", "5000"))
	receipt := findEphemeral(s, roomID, "m.receipt")
	if receipt == nil {
		t.Fatalf("no m.receipt for bob: %v", s.path("rooms"))
	}
	if _, ok := receipt["content"].(map[string]any)[sent.EventID.String()].(map[string]any)["m.read"].(map[string]any)[alice.UserID.String()]; !ok {
		t.Fatalf("receipt content %v lacks alice's m.read of %s", receipt["content"], sent.EventID)
	}
	if err := alice.SendReceipt(ctx, roomID, sent.EventID, event.ReceiptTypeReadPrivate, nil); err != nil {
		t.Fatal(err)
	}
	s2 := doSync(t, srv, bob.AccessToken, q("since", s.next()))
	if r := findEphemeral(s2, roomID, "m.receipt"); r != nil {
		t.Fatalf("bob sees alice's private receipt: %v", r)
	}
	mine := doSync(t, srv, alice.AccessToken, nil)
	r := findEphemeral(mine, roomID, "m.receipt")
	if r == nil || !strings.Contains(fmt.Sprint(r["content"]), "m.read.private") {
		t.Fatalf("alice does not see her own private receipt: %v", r)
	}
	// Read markers set m.fully_read room account data.
	wantReply(t, "read markers", call(t, srv, "POST", v3+"/rooms/"+url.PathEscape(roomID.String())+"/read_markers", bob.AccessToken,
		map[string]any{"m.fully_read": sent.EventID, "m.read": sent.EventID}), 200, "")
	bs := doSync(t, srv, bob.AccessToken, nil)
	ad := bs.events("rooms", "join", roomID.String(), "account_data")
	if len(ad) != 1 || ad[0]["type"] != "m.fully_read" {
		t.Fatalf("room account data after read_markers: %v", ad)
	}
	if n := bs.path("rooms", "join", roomID.String(), "unread_notifications", "notification_count"); n != float64(0) {
		t.Fatalf("bob read everything, notification_count = %v", n)
	}
}

func findEphemeral(s syncJSON, roomID id.RoomID, typ string) map[string]any {
	for _, e := range s.events("rooms", "join", roomID.String(), "ephemeral") {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

func TestSyncLazyLoadedMembersAreTheSenders(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	roomID := roomWith(t, alice, bob, carol)
	// Named, so that no heroes' member events join the senders' ones.
	if _, err := alice.SendStateEvent(ctx, roomID, event.StateRoomName, "", map[string]any{"name": "lazy"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := bob.SendText(ctx, roomID, fmt.Sprint("from bob ", i)); err != nil {
			t.Fatal(err)
		}
	}
	filter := `{"room":{"timeline":{"limit":3},"state":{"lazy_load_members":true}}}`
	s := doSync(t, srv, carol.AccessToken, q("filter", filter))
	room := []string{"rooms", "join", roomID.String()}
	var members []string
	for _, e := range s.events(append(room, "state")...) {
		if e["type"] == "m.room.member" {
			members = append(members, e["state_key"].(string))
		}
	}
	senders := map[string]bool{}
	for _, e := range s.events(append(room, "timeline")...) {
		senders[e["sender"].(string)] = true
	}
	var want []string
	for u := range senders {
		want = append(want, u)
	}
	sort.Strings(want)
	sort.Strings(members)
	if !slices.Equal(members, want) || !slices.Equal(want, []string{bob.UserID.String()}) {
		t.Fatalf("lazy members %v, timeline senders %v", members, want)
	}
	// Without lazy loading every member is there.
	full := doSync(t, srv, carol.AccessToken, q("filter", `{"room":{"timeline":{"limit":3}}}`))
	n := 0
	for _, e := range full.events(append(room, "state")...) {
		if e["type"] == "m.room.member" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("full state has %d members, want 3", n)
	}
	if j := full.path(append(room, "summary", "m.joined_member_count")...); j != float64(3) {
		t.Fatalf("summary joined count %v", j)
	}
}

func TestSyncGappyTimelineAndPrevBatch(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)
	since := doSync(t, srv, bob.AccessToken, nil).next()
	var want []string
	for i := range 20 {
		body := fmt.Sprint("msg ", i)
		want = append(want, body)
		if _, err := alice.SendText(ctx, roomID, body); err != nil {
			t.Fatal(err)
		}
	}
	s := doSync(t, srv, bob.AccessToken, q("since", since, "filter", `{"room":{"timeline":{"limit":5}}}`))
	tl := []string{"rooms", "join", roomID.String(), "timeline"}
	if s.path(append(tl, "limited")...) != true {
		t.Fatalf("20 events with limit 5 not limited: %v", s.path(tl...))
	}
	got := msgBodies(s.events(tl...))
	if !slices.Equal(got, want[15:]) {
		t.Fatalf("timeline %q, want %q", got, want[15:])
	}
	prev, _ := s.path(append(tl, "prev_batch")...).(string)
	if prev == "" {
		t.Fatal("limited timeline without prev_batch")
	}
	r := call(t, srv, "GET", v3+"/rooms/"+url.PathEscape(roomID.String())+"/messages?dir=b&limit=15&from="+url.QueryEscape(prev), bob.AccessToken, nil)
	if r.status != 200 {
		t.Fatalf("messages from prev_batch: %d %v", r.status, r.body)
	}
	var gap []string
	for _, e := range r.body["chunk"].([]any) {
		m := e.(map[string]any)
		if m["type"] == "m.room.message" {
			gap = append([]string{m["content"].(map[string]any)["body"].(string)}, gap...)
		}
	}
	if !slices.Equal(gap, want[:15]) {
		t.Fatalf("/messages from prev_batch filled %q, want %q", gap, want[:15])
	}
}

func TestSyncPresence(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		cfg := testConfig(t, tempDir(t))
		cfg.UsePresence = false
		srv := startServer(t, cfg)
		alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
		roomWith(t, alice, bob)
		wantReply(t, "put presence", call(t, srv, "PUT", v3+"/presence/"+url.PathEscape(alice.UserID.String())+"/status", alice.AccessToken,
			map[string]any{"presence": "online", "status_msg": "here"}), 200, "")
		s := doSync(t, srv, bob.AccessToken, q("set_presence", "online"))
		if _, ok := s["presence"]; ok {
			t.Fatalf("presence off but sync has a presence section: %v", s["presence"])
		}
		r := call(t, srv, "GET", v3+"/presence/"+url.PathEscape(alice.UserID.String())+"/status", bob.AccessToken, nil)
		if r.status != 200 || r.str("presence") != "offline" {
			t.Fatalf("presence off: GET answers %d %v", r.status, r.body)
		}
	})
	t.Run("on", func(t *testing.T) {
		srv := startServer(t, testConfig(t, tempDir(t)))
		alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
		roomWith(t, alice, bob)
		since := doSync(t, srv, bob.AccessToken, nil).next()
		wantReply(t, "put presence", call(t, srv, "PUT", v3+"/presence/"+url.PathEscape(alice.UserID.String())+"/status", alice.AccessToken,
			map[string]any{"presence": "unavailable", "status_msg": "lunch"}), 200, "")
		s := doSync(t, srv, bob.AccessToken, q("since", since, "timeout", "5000"))
		ps := s.events("presence")
		if len(ps) != 1 || ps[0]["sender"] != alice.UserID.String() || ps[0]["content"].(map[string]any)["status_msg"] != "lunch" {
			t.Fatalf("bob's presence section: %v", ps)
		}
		// Carol's sync marks her online, so she may see her own presence;
		// never alice's.
		for _, e := range doSync(t, srv, carol.AccessToken, nil).events("presence") {
			if e["sender"] == alice.UserID.String() {
				t.Fatalf("carol shares no room with alice but sees %v", e)
			}
		}
		// A /sync without set_presence marks the user online (sync.yaml).
		if r := call(t, srv, "GET", v3+"/presence/"+url.PathEscape(carol.UserID.String())+"/status", carol.AccessToken, nil); r.status != 200 || r.str("presence") != "online" {
			t.Fatalf("carol after a /sync without set_presence: %d %v, want online", r.status, r.body)
		}
		wantReply(t, "carol reads alice's presence", call(t, srv, "GET", v3+"/presence/"+url.PathEscape(alice.UserID.String())+"/status", carol.AccessToken, nil), 403, "M_FORBIDDEN")
		wantReply(t, "alice sets bob's presence", call(t, srv, "PUT", v3+"/presence/"+url.PathEscape(bob.UserID.String())+"/status", alice.AccessToken,
			map[string]any{"presence": "online"}), 403, "M_FORBIDDEN")
	})
}

func TestSyncToDeviceExactlyOnceAcrossRestart(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	srv := startServer(t, cfg)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	send := func(srv *homeserver.Server, txn, body string) {
		t.Helper()
		wantReply(t, "sendToDevice", call(t, srv, "PUT", v3+"/sendToDevice/m.test/"+txn, alice.AccessToken, map[string]any{
			"messages": map[string]any{bob.UserID.String(): map[string]any{bob.DeviceID.String(): map[string]any{"body": body}}},
		}), 200, "")
	}
	toDevice := func(s syncJSON) []string {
		var out []string
		for _, e := range s.events("to_device") {
			out = append(out, e["content"].(map[string]any)["body"].(string))
		}
		return out
	}
	send(srv, "t1", "one")
	s1 := doSync(t, srv, bob.AccessToken, nil)
	if got := toDevice(s1); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("first sync to-device %q", got)
	}
	send(srv, "t2", "two")
	stopServer(t, srv)
	srv = startServer(t, cfg)
	s2 := doSync(t, srv, bob.AccessToken, q("since", s1.next()))
	if got := toDevice(s2); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("after restart to-device %q, want only the unacknowledged one", got)
	}
	s3 := doSync(t, srv, bob.AccessToken, q("since", s2.next()))
	if got := toDevice(s3); len(got) != 0 {
		t.Fatalf("acknowledged messages delivered again: %q", got)
	}
	// A retry of the same transaction is not delivered twice.
	send(srv, "t2", "two")
	if got := toDevice(doSync(t, srv, bob.AccessToken, q("since", s3.next()))); len(got) != 0 {
		t.Fatalf("retried transaction delivered again: %q", got)
	}
}

func TestSyncDeviceListsReachRoommatesOnly(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	roomWith(t, alice, bob)
	bobSince := doSync(t, srv, bob.AccessToken, nil).next()
	carolSince := doSync(t, srv, carol.AccessToken, nil).next()

	k := newTestKey(t)
	done := make(chan syncJSON, 1)
	go func() {
		r, err := rawCall(srv, "GET", v3+"/sync?"+q("since", bobSince, "timeout", "20000").Encode(), bob.AccessToken)
		if err != nil || r.status != 200 {
			r.body = map[string]any{"error": fmt.Sprint(err, r.status)}
		}
		done <- syncJSON(r.body)
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if _, err := alice.UploadKeys(ctx, &mautrix.ReqUploadKeys{}); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"device_keys": deviceKeysFor(t, alice, k, "curve-a")}
	wantReply(t, "upload keys", call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, body), 200, "")
	s := <-done
	if time.Since(start) > 5*time.Second {
		t.Fatalf("bob's long-poll woke %v after alice's key upload", time.Since(start))
	}
	changed, _ := s.path("device_lists", "changed").([]any)
	if !slices.Contains(changed, any(alice.UserID.String())) {
		t.Fatalf("bob's device_lists %v lack alice", s.path("device_lists"))
	}
	c := doSync(t, srv, carol.AccessToken, q("since", carolSince))
	if dl := c.path("device_lists"); dl != nil {
		t.Fatalf("carol shares no room with alice but got device_lists %v", dl)
	}
}

func TestSyncInitialWith500Rooms(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 500 rooms")
	}
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := udUser(t, srv, "alice")
	want := map[id.RoomID]bool{}
	for range 500 {
		r, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{})
		if err != nil {
			t.Fatal(err)
		}
		want[r.RoomID] = true
	}
	resp, err := alice.SyncRequest(ctx, 0, "", "", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Rooms.Join) != 500 {
		t.Fatalf("initial sync has %d joined rooms, want 500", len(resp.Rooms.Join))
	}
	for r := range want {
		if _, ok := resp.Rooms.Join[r]; !ok {
			t.Fatalf("room %s missing", r)
		}
	}
}

func TestSyncBadInput(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	good := doSync(t, srv, alice.AccessToken, nil).next()
	r := call(t, srv, "POST", v3+"/user/"+url.PathEscape(bob.UserID.String())+"/filter", bob.AccessToken, map[string]any{"room": map[string]any{}})
	bobFilter := r.str("filter_id")
	for _, tc := range []struct {
		name, query, code string
	}{
		{"garbage since", "since=garbage", "M_INVALID_PARAM"},
		{"too few fields", "since=s1_2_3", "M_INVALID_PARAM"},
		{"leading zero", "since=" + strings.Replace(good, "s", "s0", 1), "M_INVALID_PARAM"},
		{"pagination token", "since=t1_2", "M_INVALID_PARAM"},
		{"ahead of the server", "since=s999999999_0_0_0_0_0_0", "M_INVALID_PARAM"},
		{"negative timeout", "timeout=-1", "M_INVALID_PARAM"},
		{"bad set_presence", "set_presence=busy", "M_INVALID_PARAM"},
		{"malformed inline filter", "filter=" + url.QueryEscape(`{"room":`), "M_NOT_JSON"},
		{"ill-typed filter", "filter=" + url.QueryEscape(`{"room":{"timeline":{"limit":"x"}}}`), "M_BAD_JSON"},
		{"another user's filter", "filter=" + bobFilter, "M_INVALID_PARAM"},
	} {
		r := call(t, srv, "GET", v3+"/sync?"+tc.query, alice.AccessToken, nil)
		if r.status != 400 || (r.errcode() != tc.code && !(tc.code == "M_NOT_JSON" && r.errcode() == "M_BAD_JSON")) {
			t.Errorf("%s: %d %v, want 400 %s", tc.name, r.status, r.body, tc.code)
		}
	}
	// A token of another user's account-data stream position is refused
	// rather than answered with an empty success.
	raw, _ := json.Marshal(map[string]any{"x": 1})
	for i := range 3 {
		wantReply(t, "account data", call(t, srv, "PUT", v3+"/user/"+url.PathEscape(bob.UserID.String())+"/account_data/m.test"+fmt.Sprint(i), bob.AccessToken, string(raw)), 200, "")
	}
	bobTok := doSync(t, srv, bob.AccessToken, nil).next()
	if r := call(t, srv, "GET", v3+"/sync?since="+bobTok, alice.AccessToken, nil); r.status != 400 {
		t.Errorf("alice with bob's token: %d %v", r.status, r.body)
	}
}

func TestSyncUnreadCounts(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)
	counts := func(s syncJSON) (any, any) {
		u := []string{"rooms", "join", roomID.String(), "unread_notifications"}
		return s.path(append(u, "notification_count")...), s.path(append(u, "highlight_count")...)
	}
	first := doSync(t, srv, bob.AccessToken, nil)
	if _, err := alice.SendText(ctx, roomID, "hello there"); err != nil {
		t.Fatal(err)
	}
	// Spec "Push Rules": .m.rule.is_user_mention highlights a message
	// whose m.mentions names the user.
	mention := map[string]any{"msgtype": "m.text", "body": "ping bob", "m.mentions": map[string]any{"user_ids": []string{bob.UserID.String()}}}
	if _, err := alice.SendMessageEvent(ctx, roomID, event.EventMessage, mention); err != nil {
		t.Fatal(err)
	}
	s := doSync(t, srv, bob.AccessToken, q("since", first.next()))
	if n, h := counts(s); n != float64(2) || h != float64(1) {
		t.Fatalf("after two messages, one mentioning bob: notification %v highlight %v", n, h)
	}
	// Counted again from the cache on the next sync with a new message.
	if _, err := alice.SendText(ctx, roomID, "more"); err != nil {
		t.Fatal(err)
	}
	s = doSync(t, srv, bob.AccessToken, q("since", s.next()))
	if n, h := counts(s); n != float64(3) || h != float64(1) {
		t.Fatalf("after a third message: notification %v highlight %v", n, h)
	}
	// Bob's own message reads everything before it.
	if _, err := bob.SendText(ctx, roomID, "read it all"); err != nil {
		t.Fatal(err)
	}
	s = doSync(t, srv, bob.AccessToken, q("since", s.next()))
	if n, h := counts(s); n != float64(0) || h != float64(0) {
		t.Fatalf("after bob wrote: notification %v highlight %v", n, h)
	}
}

func TestSyncShutdownAnswersParkedLongPolls(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice := udUser(t, srv, "alice")
	since := doSync(t, srv, alice.AccessToken, nil).next()
	done := make(chan reply, 1)
	go func() {
		r, _ := rawCall(srv, "GET", v3+"/sync?timeout=30000&since="+since, alice.AccessToken)
		done <- r
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	stopServer(t, srv)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("shutdown took %v with a parked long-poll", took)
	}
	if r := <-done; r.status != 200 || r.str("next_batch") == "" {
		t.Fatalf("parked long-poll at shutdown: %d %v", r.status, r.body)
	}
}

// rawCall is call for goroutines other than the test's: it reports errors
// instead of failing the test.
func rawCall(srv *homeserver.Server, method, path, token string) (reply, error) {
	req, err := http.NewRequest(method, "http://"+srv.ClientAddr()+path, nil)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	err = json.NewDecoder(resp.Body).Decode(&r.body)
	return r, err
}

func TestSyncInviteAndLeaveSections(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	r, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "secret plans"})
	if err != nil {
		t.Fatal(err)
	}
	since := doSync(t, srv, bob.AccessToken, nil).next()
	if _, err := alice.InviteUser(ctx, r.RoomID, &mautrix.ReqInviteUser{UserID: bob.UserID}); err != nil {
		t.Fatal(err)
	}
	s := doSync(t, srv, bob.AccessToken, q("since", since, "timeout", "5000"))
	invite := s.events("rooms", "invite", r.RoomID.String(), "invite_state")
	var sawName, sawOwn bool
	for _, e := range invite {
		if e["type"] == "m.room.name" && e["content"].(map[string]any)["name"] == "secret plans" {
			sawName = true
		}
		if e["type"] == "m.room.member" && e["state_key"] == bob.UserID.String() && e["sender"] == alice.UserID.String() {
			sawOwn = true
		}
		if _, ok := e["event_id"]; ok {
			t.Fatalf("stripped state carries an event_id: %v", e)
		}
	}
	if !sawName || !sawOwn {
		t.Fatalf("invite_state %v lacks the room name or bob's invite", invite)
	}
	if _, err := bob.JoinRoomByID(ctx, r.RoomID); err != nil {
		t.Fatal(err)
	}
	s = doSync(t, srv, bob.AccessToken, q("since", s.next(), "timeout", "5000"))
	// A newly joined room comes with its whole state: in state, or in a
	// timeline that starts at the room's creation.
	joined := append(s.events("rooms", "join", r.RoomID.String(), "state"), s.events("rooms", "join", r.RoomID.String(), "timeline")...)
	have := map[string]bool{}
	for _, e := range joined {
		have[e["type"].(string)] = true
	}
	for _, typ := range []string{"m.room.create", "m.room.name", "m.room.power_levels", "m.room.join_rules"} {
		if !have[typ] {
			t.Fatalf("newly joined room lacks %s: %v", typ, have)
		}
	}
	if _, err := bob.LeaveRoom(ctx, r.RoomID); err != nil {
		t.Fatal(err)
	}
	s = doSync(t, srv, bob.AccessToken, q("since", s.next(), "timeout", "5000"))
	tl := s.events("rooms", "leave", r.RoomID.String(), "timeline")
	if len(tl) == 0 || tl[len(tl)-1]["type"] != "m.room.member" || tl[len(tl)-1]["content"].(map[string]any)["membership"] != "leave" {
		t.Fatalf("leave section timeline %v does not end with bob's leave", tl)
	}
	// Messages after the leave are not shown.
	if _, err := alice.SendText(ctx, r.RoomID, "after bob left"); err != nil {
		t.Fatal(err)
	}
	after := doSync(t, srv, bob.AccessToken, q("since", s.next()))
	if after.path("rooms") != nil {
		t.Fatalf("bob sees the room after leaving: %v", after.path("rooms"))
	}
}

func TestSyncUseStateAfter(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := udUser(t, srv, "alice")
	roomID := roomWith(t, alice)
	since := doSync(t, srv, alice.AccessToken, nil).next()
	if _, err := alice.SendStateEvent(ctx, roomID, event.StateTopic, "", map[string]any{"topic": "new topic"}); err != nil {
		t.Fatal(err)
	}
	s := doSync(t, srv, alice.AccessToken, q("since", since, "use_state_after", "true"))
	room := []string{"rooms", "join", roomID.String()}
	if s.path(append(room, "state")...) != nil {
		t.Fatalf("use_state_after still sends state: %v", s.path(room...))
	}
	after := s.events(append(room, "state_after")...)
	if len(after) != 1 || after[0]["type"] != "m.room.topic" {
		t.Fatalf("state_after = %v, want the new topic (spec v1.16: state up to the end of the timeline)", after)
	}
	// Without it, the topic is in the timeline and state stays empty.
	plain := doSync(t, srv, alice.AccessToken, q("since", since))
	if plain.path(append(room, "state_after")...) != nil || len(plain.events(append(room, "state")...)) != 0 {
		t.Fatalf("plain incremental sync: %v", plain.path(room...))
	}
}
