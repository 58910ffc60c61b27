package tests

import (
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
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
