package tests

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
)

// member registers username and returns a mautrix client logged in as it.
func member(t *testing.T, srv *homeserver.Server, username string) *mautrix.Client {
	t.Helper()
	r := registerUser(t, srv, username, "password-"+username, nil)
	cli := newClient(t, srv)
	cli.SetCredentials(id.UserID(r.str("user_id")), r.str("access_token"))
	cli.DeviceID = id.DeviceID(r.str("device_id"))
	return cli
}

// wantMatrixError checks err is an HTTP error with status and errcode.
func wantMatrixError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.RespError == nil {
		t.Fatalf("%s: %v, want %d %s", what, err, status, code)
	}
	if he.Response.StatusCode != status || he.RespError.ErrCode != code {
		t.Fatalf("%s: %d %s (%s), want %d %s", what, he.Response.StatusCode, he.RespError.ErrCode, he.RespError.Err, status, code)
	}
}

func text(body string) map[string]any { return map[string]any{"msgtype": "m.text", "body": body} }

// Two users create, invite, join, talk, leave and rejoin.
func TestRoomTwoUsersTalk(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "talk", Topic: "things"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.SendText(ctx, room, "let me in"); err == nil {
		t.Fatal("bob sent into a private room before joining")
	}
	if _, err := bob.JoinRoomByID(ctx, room); err == nil {
		t.Fatal("bob joined an invite-only room uninvited")
	}
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: bob.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatalf("bob joins after invite: %v", err)
	}
	seen := map[id.EventID]bool{}
	for i, c := range []*mautrix.Client{alice, bob, alice, bob} {
		resp, err := c.SendText(ctx, room, fmt.Sprint("message ", i))
		if err != nil {
			t.Fatalf("%s sends: %v", c.UserID, err)
		}
		if seen[resp.EventID] || resp.EventID == "" {
			t.Fatalf("event ID %q repeated or empty", resp.EventID)
		}
		seen[resp.EventID] = true
	}
	if _, err := bob.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	_, err = bob.SendText(ctx, room, "after leaving")
	wantMatrixError(t, "send after leaving", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: bob.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoom(ctx, room.String(), nil); err != nil {
		t.Fatalf("bob rejoins: %v", err)
	}
	if _, err := bob.SendText(ctx, room, "back again"); err != nil {
		t.Fatal(err)
	}
}

// A non-moderator cannot rename the room or kick; a ban keeps a user out
// until it is lifted.
func TestRoomModeration(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	for _, c := range []*mautrix.Client{bob, carol} {
		if _, err := c.JoinRoom(ctx, "#lobby:"+configs.DefaultServerName, nil); err != nil {
			t.Fatalf("%s joins by alias: %v", c.UserID, err)
		}
	}
	_, err = bob.SendStateEvent(ctx, room, event.StateRoomName, "", map[string]any{"name": "bob's room"})
	wantMatrixError(t, "non-moderator renames", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = bob.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: carol.UserID, Reason: "no"})
	wantMatrixError(t, "non-moderator kicks", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := alice.SendStateEvent(ctx, room, event.StateRoomName, "", map[string]any{"name": "alice's room"}); err != nil {
		t.Fatalf("creator renames: %v", err)
	}
	if _, err := alice.BanUser(ctx, room, &mautrix.ReqBanUser{UserID: bob.UserID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.SendText(ctx, room, "still here?")
	wantMatrixError(t, "banned user sends", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = bob.JoinRoomByID(ctx, room)
	wantMatrixError(t, "banned user joins", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := alice.UnbanUser(ctx, room, &mautrix.ReqUnbanUser{UserID: bob.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatalf("join after unban: %v", err)
	}
	if _, err := alice.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: carol.UserID}); err != nil {
		t.Fatalf("creator kicks: %v", err)
	}
	_, err = carol.SendText(ctx, room, "kicked?")
	wantMatrixError(t, "kicked user sends", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := carol.JoinRoomByID(ctx, room); err != nil {
		t.Fatalf("a kicked user may rejoin a public room: %v", err)
	}
}

// POST /createRoom accepts every room version 1 to 12 and refuses others;
// each new room takes messages.
func TestCreateRoomEveryVersion(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	for v := 1; v <= 12; v++ {
		created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{RoomVersion: id.RoomVersion(fmt.Sprint(v)), Name: fmt.Sprint("v", v)})
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if _, err := alice.SendText(ctx, created.RoomID, "hello"); err != nil {
			t.Fatalf("send in version %d: %v", v, err)
		}
	}
	for _, v := range []string{"13", "0", "org.example.custom"} {
		_, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{RoomVersion: id.RoomVersion(v)})
		wantMatrixError(t, "version "+v, err, http.StatusBadRequest, "M_UNSUPPORTED_ROOM_VERSION")
	}
}

// A transaction ID retried returns the same event; reused with another
// body it is refused, also after a restart.
func TestSendTxnIdempotency(t *testing.T) {
	dir := tempDir(t)
	srv := startServer(t, testConfig(t, dir))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := alice.SendMessageEvent(ctx, created.RoomID, event.EventMessage, text("once"), mautrix.ReqSendEvent{TransactionID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := alice.SendMessageEvent(ctx, created.RoomID, event.EventMessage, text("once"), mautrix.ReqSendEvent{TransactionID: "t1"})
	if err != nil || again.EventID != first.EventID {
		t.Fatalf("retry: %v %v, want %s", again, err, first.EventID)
	}
	_, err = alice.SendMessageEvent(ctx, created.RoomID, event.EventMessage, text("different"), mautrix.ReqSendEvent{TransactionID: "t1"})
	wantMatrixError(t, "txn reuse", err, http.StatusBadRequest, "M_INVALID_PARAM")

	stopServer(t, srv)
	srv = startServer(t, testConfig(t, dir))
	alice.HomeserverURL.Host = srv.ClientAddr()
	again, err = alice.SendMessageEvent(ctx, created.RoomID, event.EventMessage, text("once"), mautrix.ReqSendEvent{TransactionID: "t1"})
	if err != nil || again.EventID != first.EventID {
		t.Fatalf("retry after restart: %v %v, want %s", again, err, first.EventID)
	}
}

// A restart keeps rooms, memberships, power levels and bans.
func TestRoomsSurviveRestart(t *testing.T) {
	dir := tempDir(t)
	srv := startServer(t, testConfig(t, dir))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.BanUser(ctx, room, &mautrix.ReqBanUser{UserID: carol.UserID}); err != nil {
		t.Fatal(err)
	}
	stopServer(t, srv)
	srv = startServer(t, testConfig(t, dir))
	for _, c := range []*mautrix.Client{alice, bob, carol} {
		c.HomeserverURL.Host = srv.ClientAddr()
	}
	if _, err := bob.SendText(ctx, room, "still a member"); err != nil {
		t.Fatalf("bob after restart: %v", err)
	}
	_, err = bob.SendStateEvent(ctx, room, event.StateTopic, "", map[string]any{"topic": "x"})
	wantMatrixError(t, "bob sets topic after restart", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = carol.JoinRoomByID(ctx, room)
	wantMatrixError(t, "banned carol after restart", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := alice.SendStateEvent(ctx, room, event.StateTopic, "", map[string]any{"topic": "kept"}); err != nil {
		t.Fatalf("alice after restart: %v", err)
	}
}

// A user knocks on a knock room, is let in, leaves, and forgets the room.
func TestRoomKnockAndForget(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{RoomVersion: "10", Preset: "private_chat",
		InitialState: []*event.Event{{Type: event.StateJoinRules, StateKey: ptr(""), Content: event.Content{Raw: map[string]any{"join_rule": "knock"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.KnockRoom(ctx, room.String(), &mautrix.ReqKnockRoom{Reason: "please"}); err != nil {
		t.Fatalf("knock: %v", err)
	}
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: bob.UserID}); err != nil {
		t.Fatalf("invite the knocker: %v", err)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	_, err = bob.ForgetRoom(ctx, room)
	wantMatrixError(t, "forget while joined", err, http.StatusBadRequest, "M_UNKNOWN")
	if _, err := bob.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ForgetRoom(ctx, room); err != nil {
		t.Fatalf("forget after leaving: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// Everything sent is read back by /messages, newest first and in order,
// after a restart (the room actors reload from Pebble).
func TestRoomHistoryAfterRestart(t *testing.T) {
	dir := tempDir(t)
	srv := startServer(t, testConfig(t, dir))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	var sent []id.EventID
	for i := range 25 {
		r, err := alice.SendText(ctx, created.RoomID, fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, r.EventID)
	}
	stopServer(t, srv)
	srv = startServer(t, testConfig(t, dir))
	alice.HomeserverURL.Host = srv.ClientAddr()
	after, err := alice.SendText(ctx, created.RoomID, "after restart")
	if err != nil {
		t.Fatal(err)
	}
	sent = append(sent, after.EventID)

	var back []id.EventID
	for from := ""; ; {
		page, err := alice.Messages(ctx, created.RoomID, from, "", mautrix.DirectionBackward, nil, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Chunk {
			if ev.Type == event.EventMessage {
				back = append(back, ev.ID)
			}
		}
		if page.End == "" || len(page.Chunk) == 0 {
			break
		}
		from = page.End
	}
	if len(back) != len(sent) {
		t.Fatalf("backwards: %d messages, sent %d", len(back), len(sent))
	}
	for i := range sent {
		if back[len(back)-1-i] != sent[i] {
			t.Fatalf("backwards order differs at %d: %s, want %s", i, back[len(back)-1-i], sent[i])
		}
	}
}

// A restricted room (room version 10) admits the members of the room its
// join rule allows, and refuses everyone else with M_FORBIDDEN.
func TestRoomRestrictedJoin(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	lobby, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomVersion: "10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, lobby.RoomID); err != nil {
		t.Fatal(err)
	}
	rules := map[string]any{"join_rule": "restricted", "allow": []any{map[string]any{"type": "m.room_membership", "room_id": lobby.RoomID}}}
	inner, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{RoomVersion: "10", Preset: "private_chat",
		InitialState: []*event.Event{{Type: event.StateJoinRules, StateKey: ptr(""), Content: event.Content{Raw: rules}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, inner.RoomID); err != nil {
		t.Fatalf("lobby member joins: %v", err)
	}
	_, err = carol.JoinRoomByID(ctx, inner.RoomID)
	wantMatrixError(t, "outsider joins", err, http.StatusForbidden, "M_FORBIDDEN")
}

// createRoom with room_alias_name and visibility public creates the alias
// and publishes the room in the directory.
func TestCreateRoomAliasAndVisibility(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Visibility: "public", RoomAliasName: "town", Name: "Town"})
	if err != nil {
		t.Fatal(err)
	}
	alias, err := alice.ResolveAlias(ctx, id.RoomAlias("#town:"+configs.DefaultServerName))
	if err != nil || alias.RoomID != created.RoomID {
		t.Fatalf("alias resolves to %v, %v; want %s", alias, err, created.RoomID)
	}
	r := call(t, srv, "GET", "/_matrix/client/v3/directory/list/room/"+created.RoomID.String(), "", nil)
	if r.status != 200 || r.str("visibility") != "public" {
		t.Fatalf("directory visibility: %d %v", r.status, r.body)
	}
	private, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{})
	if err != nil {
		t.Fatal(err)
	}
	r = call(t, srv, "GET", "/_matrix/client/v3/directory/list/room/"+private.RoomID.String(), "", nil)
	if r.status != 200 || r.str("visibility") != "private" {
		t.Fatalf("private room's directory visibility: %d %v", r.status, r.body)
	}
}
