package tests

import (
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
)

// A server configured with default_room_version "11" creates v11 rooms
// when the client names no version, and /capabilities says 11 is the
// default.
func TestDefaultRoomVersionFromConfig(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.DefaultRoomVersion = "11"
	srv := startServer(t, cfg)
	ctx := bg(t)
	alice := member(t, srv, "alice")

	caps := call(t, srv, "GET", "/_matrix/client/v3/capabilities", alice.AccessToken, nil)
	c, _ := caps.body["capabilities"].(map[string]any)
	rv, _ := c["m.room_versions"].(map[string]any)
	if caps.status != 200 || rv["default"] != "11" {
		t.Fatalf("capabilities: %d %v, want m.room_versions.default 11", caps.status, caps.body)
	}
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	var create map[string]any
	if err := alice.StateEvent(ctx, created.RoomID, event.StateCreate, "", &create); err != nil {
		t.Fatal(err)
	}
	if create["room_version"] != "11" {
		t.Errorf("room created without room_version has version %v, want 11", create["room_version"])
	}
	explicit, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", RoomVersion: "10"})
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.StateEvent(ctx, explicit.RoomID, event.StateCreate, "", &create); err != nil {
		t.Fatal(err)
	}
	if create["room_version"] != "10" {
		t.Errorf("room created with room_version 10 has version %v", create["room_version"])
	}
}

// A user who forgot a room, joins it again and leaves again has not
// forgotten it: the history of the stay is readable.
func TestForgottenClearedOnRejoin(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	messages := func(what string) int {
		t.Helper()
		return call(t, srv, "GET", "/_matrix/client/v3/rooms/"+string(room)+"/messages?dir=b", bob.AccessToken, nil).status
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ForgetRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if st := messages("after forgetting"); st != 403 {
		t.Fatalf("/messages after forgetting: %d, want 403", st)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendText(ctx, room, "back again"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	if st := messages("after rejoining and leaving"); st != 200 {
		t.Fatalf("/messages after rejoining and leaving again: %d, want 200 (the room is not forgotten)", st)
	}
}

// memberContent is the content of userID's current m.room.member event.
func memberContent(t *testing.T, cli *mautrix.Client, room id.RoomID, userID id.UserID) map[string]any {
	t.Helper()
	var c map[string]any
	if err := cli.StateEvent(bg(t), room, event.StateMember, string(userID), &c); err != nil {
		t.Fatalf("member event of %s: %v", userID, err)
	}
	return c
}

// Joins, invites and the creator's join carry the user's display name and
// avatar from their profile; /members shows them.
func TestMemberEventsCarryProfile(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	avatar := id.ContentURI{Homeserver: "localhost", FileID: "bobface"}
	for _, step := range []struct {
		cli  *mautrix.Client
		name string
	}{{alice, "Alice A."}, {bob, "Bob B."}, {carol, "Carol C."}} {
		if err := step.cli.SetDisplayName(ctx, step.name); err != nil {
			t.Fatal(err)
		}
	}
	if err := bob.SetAvatarURL(ctx, avatar); err != nil {
		t.Fatal(err)
	}
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: carol.UserID}); err != nil {
		t.Fatal(err)
	}
	want := map[id.UserID][3]string{
		alice.UserID: {"join", "Alice A.", ""},
		bob.UserID:   {"join", "Bob B.", avatar.String()},
		carol.UserID: {"invite", "Carol C.", ""},
	}
	for u, w := range want {
		c := memberContent(t, alice, room, u)
		av, _ := c["avatar_url"].(string)
		if c["membership"] != w[0] || c["displayname"] != w[1] || av != w[2] {
			t.Errorf("member event of %s: %v, want membership %s, displayname %q, avatar %q", u, c, w[0], w[1], w[2])
		}
	}
	members, err := alice.Members(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, ev := range members.Chunk {
		w, ok := want[id.UserID(ev.GetStateKey())]
		if ok && ev.Content.Raw["displayname"] == w[1] {
			seen++
		}
	}
	if seen != len(want) {
		t.Errorf("/members shows %d of %d display names: %v", seen, len(want), members.Chunk)
	}
}

// A display name or avatar change reaches every room the user is joined
// to as a new member event, and no room they left.
func TestProfileChangePropagates(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	var rooms []id.RoomID
	for range 3 {
		created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.JoinRoomByID(ctx, created.RoomID); err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, created.RoomID)
	}
	left := rooms[2]
	if _, err := bob.LeaveRoom(ctx, left); err != nil {
		t.Fatal(err)
	}
	if err := bob.SetDisplayName(ctx, "Robert"); err != nil {
		t.Fatal(err)
	}
	avatar := id.ContentURI{Homeserver: "localhost", FileID: "robert"}
	if err := bob.SetAvatarURL(ctx, avatar); err != nil {
		t.Fatal(err)
	}
	for _, room := range rooms[:2] {
		c := memberContent(t, alice, room, bob.UserID)
		if c["membership"] != "join" || c["displayname"] != "Robert" || c["avatar_url"] != avatar.String() {
			t.Errorf("bob's member event in %s after the profile change: %v", room, c)
		}
	}
	if c := memberContent(t, alice, left, bob.UserID); c["membership"] != "leave" || c["displayname"] != nil {
		t.Errorf("bob's member event in the room he left: %v", c)
	}
	// Setting the same name again changes nothing, so no room gets a new
	// member event.
	before := memberEvents(t, srv, alice.AccessToken, rooms[0], bob.UserID)
	if err := bob.SetDisplayName(ctx, "Robert"); err != nil {
		t.Fatal(err)
	}
	if after := memberEvents(t, srv, alice.AccessToken, rooms[0], bob.UserID); after != before || before != 3 {
		t.Errorf("bob's member events: %d before re-setting the same name, %d after; want 3 (join, name, avatar) both times", before, after)
	}
}

// memberEvents counts userID's m.room.member events in the room's history.
func memberEvents(t *testing.T, srv *homeserver.Server, token string, room id.RoomID, userID id.UserID) int {
	t.Helper()
	r := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+string(room)+"/messages?dir=b&limit=100", token, nil)
	chunk, _ := r.body["chunk"].([]any)
	n := 0
	for _, ev := range chunk {
		m, _ := ev.(map[string]any)
		if m["type"] == "m.room.member" && m["state_key"] == string(userID) {
			n++
		}
	}
	return n
}

// txnIDOf returns unsigned.transaction_id of a client event, or "".
func txnIDOf(ev any) string {
	m, _ := ev.(map[string]any)
	u, _ := m["unsigned"].(map[string]any)
	s, _ := u["transaction_id"].(string)
	return s
}

// An event is served with unsigned.transaction_id to the device that sent
// it, by GET /event, /messages and /context, and to no other device or
// user.
func TestTransactionIDForSendingDevice(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	laptop := newClient(t, srv)
	login(t, laptop, "alice", "password-alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := string(created.RoomID)
	if _, err := bob.JoinRoomByID(ctx, created.RoomID); err != nil {
		t.Fatal(err)
	}
	const txnID = "phone.1-x"
	sent := call(t, srv, "PUT", "/_matrix/client/v3/rooms/"+room+"/send/m.room.message/"+txnID, alice.AccessToken, text("hello"))
	eventID := sent.str("event_id")
	if sent.status != 200 || eventID == "" {
		t.Fatalf("send: %d %v", sent.status, sent.body)
	}
	readers := []struct {
		name  string
		token string
		want  string
	}{
		{"sending device", alice.AccessToken, txnID},
		{"sender's other device", laptop.AccessToken, ""},
		{"other user", bob.AccessToken, ""},
	}
	for _, r := range readers {
		got := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+room+"/event/"+eventID, r.token, nil)
		if got.status != 200 || txnIDOf(got.body) != r.want {
			t.Errorf("/event for %s: %d transaction_id %q, want %q", r.name, got.status, txnIDOf(got.body), r.want)
		}
		msgs := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+room+"/messages?dir=b&limit=1", r.token, nil)
		chunk, _ := msgs.body["chunk"].([]any)
		if len(chunk) != 1 || txnIDOf(chunk[0]) != r.want {
			t.Errorf("/messages for %s: %v, want transaction_id %q", r.name, msgs.body, r.want)
		}
		cx := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+room+"/context/"+eventID, r.token, nil)
		if cx.status != 200 || txnIDOf(cx.body["event"]) != r.want {
			t.Errorf("/context for %s: %d %v, want transaction_id %q", r.name, cx.status, cx.body["event"], r.want)
		}
	}
}

// /capabilities tells clients that display names and avatars can be
// changed, which they can: clients hide profile editing otherwise.
func TestCapabilitiesAllowProfileChanges(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice := member(t, srv, "alice")
	caps := call(t, srv, "GET", "/_matrix/client/v3/capabilities", alice.AccessToken, nil)
	c, _ := caps.body["capabilities"].(map[string]any)
	for _, name := range []string{"m.set_displayname", "m.set_avatar_url", "m.profile_fields"} {
		got, _ := c[name].(map[string]any)
		if got["enabled"] != true {
			t.Errorf("%s: %v, want enabled", name, c[name])
		}
	}
	pf, _ := c["m.profile_fields"].(map[string]any)
	allowed, _ := pf["allowed"].([]any)
	if len(allowed) != 2 || allowed[0] != "displayname" || allowed[1] != "avatar_url" {
		t.Errorf("m.profile_fields.allowed = %v, want [displayname avatar_url]", pf["allowed"])
	}
}
