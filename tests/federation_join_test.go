package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/version"
)

// trio is three Axon servers federating on loopback, with one user each.
type trio struct {
	t       *testing.T
	srv     map[string]*homeserver.Server
	token   map[string]string // user ID → access token
	servers map[string]string // user ID → server name
}

func newTrio(t *testing.T) *trio {
	t.Helper()
	fs := fedConfigs(t, nil, nil, "hs-a.test", "hs-b.test", "hs-c.test")
	tr := &trio{t: t, srv: map[string]*homeserver.Server{}, token: map[string]string{}, servers: map[string]string{}}
	for i, f := range fs {
		f.srv = startServer(t, f.cfg)
		tr.srv[f.name] = f.srv
		user := []string{"alice", "bob", "carol"}[i]
		uid := "@" + user + ":" + f.name
		tr.token[uid] = registerUser(t, f.srv, user, "correct horse battery", nil).str("access_token")
		tr.servers[uid] = f.name
	}
	return tr
}

// as calls the client API of uid's server as uid.
func (tr *trio) as(uid, method, path string, body any) reply {
	tr.t.Helper()
	return call(tr.t, tr.srv[tr.servers[uid]], method, path, tr.token[uid], body)
}

const (
	alice = "@alice:hs-a.test"
	bob   = "@bob:hs-b.test"
	carol = "@carol:hs-c.test"
)

// say sends a text message as uid and returns its event ID.
func (tr *trio) say(uid, roomID, txn, text string) string {
	tr.t.Helper()
	r := tr.as(uid, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/send/m.room.message/"+txn,
		map[string]any{"msgtype": "m.text", "body": text})
	if r.status != 200 {
		tr.t.Fatalf("%s says %q: %d %v", uid, text, r.status, r.body)
	}
	return r.str("event_id")
}

// bodies counts the message bodies uid's server shows in /messages.
func (tr *trio) bodies(uid, roomID string) map[string]int {
	tr.t.Helper()
	r := tr.as(uid, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/messages?dir=b&limit=200", nil)
	out := map[string]int{}
	if r.status != 200 {
		return out
	}
	chunk, _ := r.body["chunk"].([]any)
	for _, e := range chunk {
		ev, _ := e.(map[string]any)
		if ev["type"] != "m.room.message" {
			continue
		}
		c, _ := ev["content"].(map[string]any)
		if b, ok := c["body"].(string); ok {
			out[b]++
		}
	}
	return out
}

// timeline lists "sender: body" of the messages uid's server shows in
// /messages, oldest first.
func (tr *trio) timeline(uid, roomID string) []string {
	tr.t.Helper()
	r := tr.as(uid, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/messages?dir=b&limit=200", nil)
	chunk, _ := r.body["chunk"].([]any)
	var out []string
	for i := len(chunk) - 1; i >= 0; i-- {
		ev, _ := chunk[i].(map[string]any)
		c, _ := ev["content"].(map[string]any)
		if b, ok := c["body"].(string); ok && ev["type"] == "m.room.message" {
			out = append(out, ev["sender"].(string)+": "+b)
		}
	}
	return out
}

// members lists the joined members uid's server holds for the room.
func (tr *trio) membership(uid, roomID, member string) string {
	tr.t.Helper()
	r := tr.as(uid, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/state/m.room.member/"+url.PathEscape(member), nil)
	if r.status != 200 {
		return ""
	}
	return r.str("membership")
}

func (tr *trio) waitMembership(roomID, member, want string, viewers ...string) {
	tr.t.Helper()
	for _, v := range viewers {
		waitFor(tr.t, func() bool { return tr.membership(v, roomID, member) == want },
			v+" sees "+member+" "+want)
	}
}

// A room created on A is joined by users of B and C through its alias;
// all three talk, and every server's /messages shows every message once.
// An invite from A reaches C's user, who joins; a knock from B is let in
// by A; a leave from C reaches the others.
func TestFederationJoinThreeServers(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"preset": "public_chat", "room_alias_name": "lobby", "room_version": "11"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	alias := url.PathEscape("#lobby:hs-a.test")
	for _, u := range []string{bob, carol} {
		r := tr.as(u, "POST", "/_matrix/client/v3/join/"+alias, map[string]any{})
		if r.status != 200 || r.str("room_id") != roomID {
			t.Fatalf("%s joins by alias: %d %v", u, r.status, r.body)
		}
	}
	tr.waitMembership(roomID, carol, "join", alice, bob, carol)
	tr.waitMembership(roomID, bob, "join", alice, bob, carol)

	want, ids := map[string]string{}, map[string]string{}
	for i, u := range []string{alice, bob, carol, alice, bob, carol} {
		text := u + " message " + string(rune('0'+i))
		ids[text] = tr.say(u, roomID, "t"+string(rune('0'+i)), text)
		want[text] = u
	}
	for _, viewer := range []string{alice, bob, carol} {
		waitShow(t, func() bool {
			got := tr.bodies(viewer, roomID)
			for text := range want {
				if got[text] != 1 {
					return false
				}
			}
			return true
		}, viewer+" sees every message exactly once", func() string {
			held := ""
			for text, id := range ids {
				r := tr.as(viewer, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/event/"+url.PathEscape(id), nil)
				held += fmt.Sprintf(" [%s: %d]", text, r.status)
			}
			for name, srv := range tr.srv {
				held += fmt.Sprintf(" {%s outbound %+v}", name, srv.Servers().Stats())
			}
			held += tr.resend(viewer, ids)
			return strings.Join(tr.timeline(viewer, roomID), " | ") + held
		})
	}

	// Per sender, every server shows the messages in the order sent.
	for _, viewer := range []string{alice, bob, carol} {
		seen := map[string][]string{}
		for _, line := range tr.timeline(viewer, roomID) {
			sender := line[:strings.Index(line, ": ")]
			seen[sender] = append(seen[sender], line[len(sender)+2:])
		}
		for _, u := range []string{alice, bob, carol} {
			var sent []string
			for i := 0; i < 6; i++ {
				if text := u + " message " + string(rune('0'+i)); want[text] == u {
					sent = append(sent, text)
				}
			}
			if !slices.Equal(seen[u], sent) {
				t.Errorf("%s shows %s's messages as %v, sent %v", viewer, u, seen[u], sent)
			}
		}
	}

	// Leave from C propagates to A and B.
	if r := tr.as(carol, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/leave", map[string]any{}); r.status != 200 {
		t.Fatalf("carol leaves: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, carol, "leave", alice, bob)

	// While C is out the others talk; C's user comes back by alias and
	// talks again, and everyone sees it.
	tr.say(alice, roomID, "while-out", "said while carol was out")
	if r := tr.as(carol, "POST", "/_matrix/client/v3/join/"+alias, map[string]any{}); r.status != 200 {
		t.Fatalf("carol rejoins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, carol, "join", alice, bob)
	tr.say(carol, roomID, "back", "carol is back")
	for _, viewer := range []string{alice, bob} {
		waitFor(t, func() bool { return tr.bodies(viewer, roomID)["carol is back"] == 1 }, viewer+" sees carol's message after her return")
	}
}

// A invites C's user to a room C's server is not in: the invite shows up
// in C's /sync, and accepting it joins through A.
func TestFederationRemoteInvite(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{"preset": "private_chat", "room_version": "10"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	// The invitee's server refuses an invite of a user it does not have:
	// the invite is never applied to the room.
	if r := tr.as(alice, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/invite", map[string]any{"user_id": "@ghost:hs-c.test"}); r.status == 200 {
		t.Fatalf("invite of an unknown remote user: %d %v", r.status, r.body)
	}
	if m := tr.membership(alice, roomID, "@ghost:hs-c.test"); m != "" {
		t.Fatalf("a refused invite was applied: membership %q", m)
	}
	if r := tr.as(alice, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/invite", map[string]any{"user_id": carol}); r.status != 200 {
		t.Fatalf("invite carol: %d %v", r.status, r.body)
	}
	waitFor(t, func() bool {
		r := tr.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0", nil)
		rooms, _ := r.body["rooms"].(map[string]any)
		inv, _ := rooms["invite"].(map[string]any)
		_, ok := inv[roomID]
		return ok
	}, "carol's /sync shows the invite")
	// Without an alias or via, the invite's sender's server is where the
	// join goes.
	if r := tr.as(carol, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/join", map[string]any{}); r.status != 200 {
		t.Fatalf("carol accepts: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, carol, "join", alice, carol)
	tr.say(carol, roomID, "hi", "hello from C")
	waitFor(t, func() bool { return tr.bodies(alice, roomID)["hello from C"] == 1 }, "alice sees carol's message")

	// An invite rejected by a server not in the room goes through make_leave.
	cr2 := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{"preset": "private_chat", "invite": []string{}})
	room2 := cr2.str("room_id")
	if r := tr.as(alice, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room2)+"/invite", map[string]any{"user_id": bob}); r.status != 200 {
		t.Fatalf("invite bob: %d %v", r.status, r.body)
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room2)+"/leave", map[string]any{}); r.status != 200 {
		t.Fatalf("bob rejects: %d %v", r.status, r.body)
	}
	tr.waitMembership(room2, bob, "leave", alice)
}

// B's user knocks on a room of A through make_knock/send_knock; alice
// lets them in with an invite, and they join.
func TestFederationRemoteKnock(t *testing.T) {
	tr := newTrio(t)
	cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"room_version": "10", "room_alias_name": "door",
		"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}}})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roomID := cr.str("room_id")
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#door:hs-a.test"), map[string]any{}); r.status != 403 {
		t.Fatalf("joining a knock room uninvited: %d %v", r.status, r.body)
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/knock/"+url.PathEscape("#door:hs-a.test"), map[string]any{"reason": "let me in"}); r.status != 200 {
		t.Fatalf("bob knocks: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "knock", alice)
	if r := tr.as(alice, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/invite", map[string]any{"user_id": bob}); r.status != 200 {
		t.Fatalf("alice approves: %d %v", r.status, r.body)
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape(roomID), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	tr.waitMembership(roomID, bob, "join", alice, bob)

	// A knock on a version 12 room, whose ID names no server, is withdrawn
	// through the servers its stripped state names.
	cr12 := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
		"room_version": "12", "room_alias_name": "door12",
		"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}}})
	room12 := cr12.str("room_id")
	if r := tr.as(carol, "POST", "/_matrix/client/v3/knock/"+url.PathEscape("#door12:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("carol knocks: %d %v", r.status, r.body)
	}
	tr.waitMembership(room12, carol, "knock", alice)
	if r := tr.as(carol, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(room12)+"/leave", map[string]any{}); r.status != 200 {
		t.Fatalf("carol withdraws her knock: %d %v", r.status, r.body)
	}
	tr.waitMembership(room12, carol, "leave", alice)
}

// A room of every room version is joined across servers by alias, and a
// message of the joined user reaches the resident server.
func TestFederationJoinEveryVersion(t *testing.T) {
	tr := newTrio(t)
	for _, v := range version.All() {
		t.Run("v"+string(v.ID), func(t *testing.T) {
			name := "v" + string(v.ID)
			cr := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{
				"preset": "public_chat", "room_alias_name": name, "room_version": string(v.ID)})
			if cr.status != 200 {
				t.Fatalf("createRoom: %d %v", cr.status, cr.body)
			}
			roomID := cr.str("room_id")
			if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#"+name+":hs-a.test"), map[string]any{}); r.status != 200 {
				t.Fatalf("join: %d %v", r.status, r.body)
			}
			tr.say(bob, roomID, name, "hello "+name)
			waitFor(t, func() bool { return tr.bodies(alice, roomID)["hello "+name] == 1 }, "alice sees bob's message")
		})
	}
}

// A restricted room (room version 10) lets in a user of another server who
// is joined to the room its allow list names: the resident server names
// its member in join_authorised_via_users_server and countersigns the join.
func TestFederationRestrictedJoin(t *testing.T) {
	tr := newTrio(t)
	space := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{"preset": "public_chat", "room_alias_name": "space", "room_version": "10"})
	spaceID := space.str("room_id")
	inner := tr.as(alice, "POST", "/_matrix/client/v3/createRoom", map[string]any{"room_version": "10", "room_alias_name": "inner",
		"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "",
			"content": map[string]any{"join_rule": "restricted", "allow": []any{map[string]any{"type": "m.room_membership", "room_id": spaceID}}}}}})
	if inner.status != 200 {
		t.Fatalf("createRoom: %d %v", inner.status, inner.body)
	}
	innerID := inner.str("room_id")
	if r := tr.as(carol, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#inner:hs-a.test"), map[string]any{}); r.status != 403 {
		t.Fatalf("carol, not in the space, joins: %d %v", r.status, r.body)
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#space:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins the space: %d %v", r.status, r.body)
	}
	if r := tr.as(bob, "POST", "/_matrix/client/v3/join/"+url.PathEscape("#inner:hs-a.test"), map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins the restricted room: %d %v", r.status, r.body)
	}
	tr.waitMembership(innerID, bob, "join", alice, bob)
	r := tr.as(bob, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(innerID)+"/state/m.room.member/"+url.PathEscape(bob), nil)
	if r.str("join_authorised_via_users_server") != alice {
		t.Fatalf("bob's join names %q as authoriser", r.str("join_authorised_via_users_server"))
	}
}

// waitShow is waitFor that shows what was seen when it gives up.
func waitShow(t *testing.T, cond func() bool, what string, seen func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; seen: %s", what, seen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// resend hands the viewer's server, as the sender's server, every message
// it lacks once more, and reports what it answers for each.
func (tr *trio) resend(viewer string, ids map[string]string) string {
	out := ""
	to := tr.servers[viewer]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for text, id := range ids {
		from := tr.servers[strings.SplitN(text, " ", 2)[0]]
		if from == to {
			continue
		}
		var got struct {
			PDUs []json.RawMessage `json:"pdus"`
		}
		if err := tr.srv[to].FederationClient().Get(ctx, from, "/_matrix/federation/v1/event/"+url.PathEscape(id), &got); err != nil || len(got.PDUs) != 1 {
			out += fmt.Sprintf(" (%s: fetch %v)", text, err)
			continue
		}
		body := federation.EncodeTransaction(from, time.Now().UnixMilli(), got.PDUs, nil)
		res, err := tr.srv[from].FederationClient().SendTransaction(ctx, to, "probe"+fmt.Sprint(time.Now().UnixNano()), body)
		out += fmt.Sprintf(" (%s: resend %v %v", text, res.PDUs, err)
		var refs struct {
			Prev []string `json:"prev_events"`
			Auth []string `json:"auth_events"`
		}
		_ = json.Unmarshal(got.PDUs[0], &refs)
		for _, ref := range append(refs.Prev, refs.Auth...) {
			var e map[string]any
			err := tr.srv[from].FederationClient().Get(ctx, to, "/_matrix/federation/v1/event/"+url.PathEscape(ref), &e)
			out += fmt.Sprintf(" ref %s at %s: %v;", ref, to, err)
		}
		out += ")"
	}
	return out
}
