package tests

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// fedCall makes a signed request from one Axon server to another and
// returns the remote error, if any.
func fedCall(t *testing.T, tr *trio, from, to, method, uri string, body any) (map[string]any, *federation.Error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out map[string]any
	cl := tr.srv[from].FederationClient()
	var err error
	if method == "GET" {
		err = cl.Get(ctx, to, uri, &out)
	} else {
		err = cl.Put(ctx, to, uri, body, &out)
	}
	var fe *federation.Error
	if errors.As(err, &fe) {
		return nil, fe
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	return out, nil
}

// The served handshakes refuse what the spec says to refuse.
func TestFederationJoinBadInput(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{"preset": "public_chat", "room_version": "11"})
	roomID := url.PathEscape(cr.str("room_id"))
	if r := tr.as(alice, "POST", "/_matrix/client/v3/rooms/"+roomID+"/ban", map[string]any{"user_id": "@mallory:hs-b.test"}); r.status != 200 {
		t.Fatalf("ban: %d %v", r.status, r.body)
	}
	p := "/_matrix/federation/v1"
	all := "?ver=10&ver=11&ver=12"
	cases := []struct {
		name, uri string
		status    int
		errcode   string
	}{
		{"make_join for a user of another server", p + "/make_join/" + roomID + "/" + url.PathEscape(carol) + all, 403, "M_FORBIDDEN"},
		{"make_join without the room's version", p + "/make_join/" + roomID + "/" + url.PathEscape(bob) + "?ver=9&ver=10", 400, "M_INCOMPATIBLE_ROOM_VERSION"},
		{"make_join without ver (version 1 only)", p + "/make_join/" + roomID + "/" + url.PathEscape(bob), 400, "M_INCOMPATIBLE_ROOM_VERSION"},
		{"make_join of a banned user", p + "/make_join/" + roomID + "/" + url.PathEscape("@mallory:hs-b.test") + all, 403, "M_FORBIDDEN"},
		{"make_join of an unknown room", p + "/make_join/" + url.PathEscape("!nope:hs-a.test") + "/" + url.PathEscape(bob) + all, 404, "M_NOT_FOUND"},
		{"make_knock on a public room", p + "/make_knock/" + roomID + "/" + url.PathEscape(bob) + all, 403, "M_FORBIDDEN"},
		{"make_leave of a user not in the room", p + "/make_leave/" + roomID + "/" + url.PathEscape(bob), 403, "M_FORBIDDEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, fe := fedCall(t, tr, "hs-b.test", "hs-a.test", "GET", c.uri, nil)
			if fe == nil || fe.Status != c.status || fe.Code != c.errcode {
				t.Fatalf("got %v, want %d %s", fe, c.status, c.errcode)
			}
		})
	}
	out, fe := fedCall(t, tr, "hs-b.test", "hs-a.test", "GET", p+"/make_join/"+roomID+"/"+url.PathEscape(bob)+"?ver=9&ver=10", nil)
	if fe == nil || !strings.Contains(string(fe.Message), "11") {
		t.Errorf("incompatible version answer should name the room's version: %v %v", out, fe)
	}

	// An invite in a version this server does not implement.
	inv := map[string]any{"room_version": "999", "event": map[string]any{"type": "m.room.member"}, "invite_room_state": []any{}}
	_, fe = fedCall(t, tr, "hs-a.test", "hs-c.test", "PUT", "/_matrix/federation/v2/invite/"+url.PathEscape("!x:hs-a.test")+"/"+url.PathEscape("$x"), inv)
	if fe == nil || fe.Status != 400 || fe.Code != "M_INCOMPATIBLE_ROOM_VERSION" {
		t.Fatalf("invite of an unknown version: %v", fe)
	}

	// A send_join of a join signed for another user is refused and leaves
	// the room as it was.
	tmpl, fe := fedCall(t, tr, "hs-b.test", "hs-a.test", "GET", p+"/make_join/"+roomID+"/"+url.PathEscape(bob)+all, nil)
	if fe != nil {
		t.Fatalf("make_join: %v", fe)
	}
	if tmpl["room_version"] != "11" {
		t.Fatalf("make_join template: %v", tmpl)
	}
	_, fe = fedCall(t, tr, "hs-b.test", "hs-a.test", "PUT", "/_matrix/federation/v2/send_join/"+roomID+"/"+url.PathEscape("$forged"), tmpl["event"])
	if fe == nil || fe.Status != 400 {
		t.Fatalf("send_join of an unsigned template: %v", fe)
	}
	if m := tr.membership(alice, cr.str("room_id"), bob); m != "" {
		t.Fatalf("bob's membership after refused send_joins: %q", m)
	}
}

// evilRoom is a version 10 room that the fake server evil.test serves
// through make_join and send_join, honestly or not.
type evilRoom struct {
	peer                   *fedtest.Peer
	v                      version.Spec
	roomID                 string
	create, member, pl, jr *event.Event
	mode                   atomic.Value // "forged-signature", "truncated", "honest"
}

func newEvilRoom(t *testing.T, peer *fedtest.Peer) *evilRoom {
	t.Helper()
	v, _ := version.Lookup("10")
	r := &evilRoom{peer: peer, v: v, roomID: "!forged:evil.test"}
	mallory := "@mallory:evil.test"
	empty := ""
	ts := time.Now().UnixMilli()
	build := func(typ string, sk *string, content string, prev, auth []string, depth int64) *event.Event {
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: r.roomID, Type: typ, StateKey: sk, Sender: mallory,
			Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: auth, Depth: depth, OriginServerTS: ts})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	r.create = build("m.room.create", &empty, `{"creator":"`+mallory+`","room_version":"10"}`, nil, nil, 1)
	r.member = build("m.room.member", &mallory, `{"membership":"join"}`, []string{r.create.ID}, []string{r.create.ID}, 2)
	r.pl = build("m.room.power_levels", &empty, `{"users":{"`+mallory+`":100}}`, []string{r.member.ID}, []string{r.create.ID, r.member.ID}, 3)
	r.jr = build("m.room.join_rules", &empty, `{"join_rule":"public"}`, []string{r.pl.ID}, []string{r.create.ID, r.member.ID, r.pl.ID}, 4)
	r.mode.Store("honest")
	peer.Handle("GET", "/_matrix/federation/v1/make_join/", r.makeJoin)
	peer.Handle("PUT", "/_matrix/federation/v2/send_join/", r.sendJoin)
	return r
}

func (r *evilRoom) makeJoin(ctx *fasthttp.RequestCtx) {
	parts := strings.Split(string(ctx.Path()), "/")
	user, _ := url.PathUnescape(parts[len(parts)-1])
	tmpl := map[string]any{"room_id": r.roomID, "type": "m.room.member", "state_key": user, "sender": user,
		"content": map[string]any{"membership": "join"}, "prev_events": []string{r.jr.ID},
		"auth_events": []string{r.create.ID, r.pl.ID, r.jr.ID}, "depth": 5, "origin_server_ts": time.Now().UnixMilli()}
	body, _ := json.Marshal(map[string]any{"room_version": "10", "event": tmpl})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func (r *evilRoom) sendJoin(ctx *fasthttp.RequestCtx) {
	state := []json.RawMessage{r.create.Raw, r.member.Raw, r.pl.Raw, r.jr.Raw}
	chain := []json.RawMessage{r.create.Raw, r.member.Raw, r.pl.Raw}
	switch r.mode.Load() {
	case "forged-signature":
		var obj map[string]any
		_ = json.Unmarshal(r.jr.Raw, &obj)
		obj["signatures"] = map[string]any{"evil.test": map[string]string{string(r.peer.Key.ID): strings.Repeat("A", 86)}}
		bad, _ := json.Marshal(obj)
		state[3] = bad
	case "truncated":
		state = []json.RawMessage{r.create.Raw, r.jr.Raw}
		chain = []json.RawMessage{r.create.Raw}
	}
	body, _ := json.Marshal(map[string]any{"origin": "evil.test", "state": state, "auth_chain": chain})
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// A resident server answering send_join with a forged signature or a
// truncated auth chain makes the join fail cleanly: nothing of the room is
// stored, and a later honest answer joins.
func TestFederationJoinForgedState(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	peer, err := hub.AddPeer("evil.test")
	if err != nil {
		t.Fatal(err)
	}
	fs := fedConfigs(t, hub.CAPEM(), hub.Overrides(), "hs-b.test")[0]
	srv := startServer(t, fs.cfg)
	token := registerUser(t, srv, "bob", "correct horse battery", nil).str("access_token")
	r := newEvilRoom(t, peer)
	join := "/_matrix/client/v3/join/" + url.PathEscape(r.roomID) + "?server_name=evil.test"
	state := "/_matrix/client/v3/rooms/" + url.PathEscape(r.roomID) + "/state"
	for _, mode := range []string{"forged-signature", "truncated"} {
		r.mode.Store(mode)
		if res := call(t, srv, "POST", join, token, map[string]any{}); res.status != 502 || !strings.Contains(res.str("error"), "does not verify") {
			t.Fatalf("%s: join: %d %v", mode, res.status, res.body)
		}
		if res := call(t, srv, "GET", state, token, nil); res.status == 200 {
			t.Fatalf("%s: the room was stored: %v", mode, res.body)
		}
	}
	r.mode.Store("honest")
	if res := call(t, srv, "POST", join, token, map[string]any{}); res.status != 200 {
		t.Fatalf("honest join: %d %v", res.status, res.body)
	}
	res := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.member/"+url.PathEscape("@bob:hs-b.test"), token, nil)
	if res.status != 200 || res.str("membership") != "join" {
		t.Fatalf("bob's membership after the honest join: %d %v", res.status, res.body)
	}
}

// send_join with omit_members=true serves partial state: no member events
// but the heroes' when the room has no name, members_omitted and
// servers_in_room set, and no event of the state repeated in the auth
// chain.
func TestFederationSendJoinOmitMembers(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	peer, err := hub.AddPeer("peer.test")
	if err != nil {
		t.Fatal(err)
	}
	fs := fedConfigs(t, hub.CAPEM(), hub.Overrides(), "hs-a.test")[0]
	srv := startServer(t, fs.cfg)
	token := registerUser(t, srv, "alice", "correct horse battery", nil).str("access_token")
	dave := registerUser(t, srv, "dave", "correct horse battery", nil).str("access_token")
	for _, named := range []bool{false, true} {
		body := map[string]any{"preset": "public_chat", "room_version": "11"}
		if named {
			body["name"] = "Named"
		}
		roomID := call(t, srv, "POST", "/_matrix/client/v3/createRoom", token, body).str("room_id")
		if r := call(t, srv, "POST", "/_matrix/client/v3/join/"+url.PathEscape(roomID), dave, map[string]any{}); r.status != 200 {
			t.Fatalf("dave joins: %d %v", r.status, r.body)
		}
		user := "@bob:peer.test"
		do := func(method, uri string, body []byte) map[string]any {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, raw, err := peer.Do(ctx, srv.FederationAddr(), "hs-a.test", method, uri, body, "")
			if err != nil || st != 200 {
				t.Fatalf("%s %s: %d %s %v", method, uri, st, raw, err)
			}
			var out map[string]any
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		tmpl := do("GET", "/_matrix/federation/v1/make_join/"+url.PathEscape(roomID)+"/"+url.PathEscape(user)+"?ver=11", nil)
		te, _ := tmpl["event"].(map[string]any)
		v, _ := version.Lookup("11")
		sk := user
		ev, err := peer.BuildEvent(v, event.Proto{RoomID: roomID, Type: "m.room.member", StateKey: &sk, Sender: user,
			Content: json.RawMessage(`{"membership":"join"}`), PrevEvents: strs(te["prev_events"]), AuthEvents: strs(te["auth_events"]),
			Depth: int64(te["depth"].(float64)), OriginServerTS: time.Now().UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		res := do("PUT", "/_matrix/federation/v2/send_join/"+url.PathEscape(roomID)+"/"+url.PathEscape(ev.ID)+"?omit_members=true", ev.Raw)
		if res["members_omitted"] != true || !containsStr(strs(res["servers_in_room"]), "hs-a.test") {
			t.Fatalf("named=%v: members_omitted %v, servers_in_room %v", named, res["members_omitted"], res["servers_in_room"])
		}
		inState := map[string]bool{}
		var members []string
		for _, e := range res["state"].([]any) {
			m := e.(map[string]any)
			id, _ := event.EventIDFor(mustJSON(m), v)
			inState[id] = true
			if m["type"] == "m.room.member" {
				members = append(members, m["state_key"].(string))
			}
		}
		wantMembers := 2 // alice and dave are the heroes of an unnamed room
		if named {
			wantMembers = 0
		}
		if len(members) != wantMembers {
			t.Fatalf("named=%v: member events in partial state: %v", named, members)
		}
		for _, e := range res["auth_chain"].([]any) {
			id, _ := event.EventIDFor(mustJSON(e), v)
			if inState[id] {
				t.Fatalf("named=%v: auth chain repeats state event %s", named, id)
			}
		}
	}
}
