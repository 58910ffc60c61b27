package tests

import (
	"net/url"
	"strings"
	"testing"
)

// TestRoomWriteBadInput: every bad write gets its Matrix error and status,
// and none of them leaves anything behind (the room's next event still
// follows the last good one).
func TestRoomWriteBadInput(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice := registerUser(t, srv, "alice", "pw", nil).str("access_token")
	bob := registerUser(t, srv, "bob", "pw", nil).str("access_token")
	created := call(t, srv, "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"room_version": "11", "room_alias_name": "taken"})
	if created.status != 200 {
		t.Fatalf("createRoom: %d %v", created.status, created.body)
	}
	room := "/_matrix/client/v3/rooms/" + url.PathEscape(created.str("room_id"))
	huge := map[string]any{"msgtype": "m.text", "body": strings.Repeat("x", 70_000)}
	nearly := map[string]any{"msgtype": "m.text", "body": strings.Repeat("x", 65_400)}
	unknown := "/_matrix/client/v3/rooms/" + url.PathEscape("!unknown:localhost")

	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		errcode                   string
	}{
		{"send: malformed room ID", "PUT", "/_matrix/client/v3/rooms/not-a-room/send/m.room.message/t1", alice, map[string]any{}, 400, "M_INVALID_PARAM"},
		{"send: unknown room", "PUT", unknown + "/send/m.room.message/t1", alice, map[string]any{}, 404, "M_NOT_FOUND"},
		{"send: not a member", "PUT", room + "/send/m.room.message/t1", bob, map[string]any{"body": "hi"}, 403, "M_FORBIDDEN"},
		{"send: body over 65536 bytes", "PUT", room + "/send/m.room.message/t2", alice, huge, 413, "M_TOO_LARGE"},
		{"send: event over 65536 bytes once built", "PUT", room + "/send/m.room.message/t3", alice, nearly, 413, "M_TOO_LARGE"},
		{"send: body not JSON", "PUT", room + "/send/m.room.message/t4", alice, "{oops", 400, "M_NOT_JSON"},
		{"send: body an array", "PUT", room + "/send/m.room.message/t5", alice, "[1]", 400, "M_BAD_JSON"},
		{"send: no access token", "PUT", room + "/send/m.room.message/t6", "", map[string]any{}, 401, "M_MISSING_TOKEN"},
		{"state: power levels with a string level", "PUT", room + "/state/m.room.power_levels/", alice, map[string]any{"users": map[string]any{"@alice:localhost": "100"}}, 400, "M_BAD_JSON"},
		{"state: member key not a user ID", "PUT", room + "/state/m.room.member/nobody", alice, map[string]any{"membership": "join"}, 400, "M_BAD_JSON"},
		{"state: non-member sets the name", "PUT", room + "/state/m.room.name", bob, map[string]any{"name": "x"}, 403, "M_FORBIDDEN"},
		{"state: unknown room", "PUT", unknown + "/state/m.room.name", alice, map[string]any{"name": "x"}, 404, "M_NOT_FOUND"},
		{"redact: malformed event ID", "PUT", room + "/redact/nope/t1", alice, map[string]any{}, 400, "M_INVALID_PARAM"},
		{"invite: malformed user ID", "POST", room + "/invite", alice, map[string]any{"user_id": "bob"}, 400, "M_INVALID_PARAM"},
		{"invite: missing user ID", "POST", room + "/invite", alice, map[string]any{}, 400, "M_MISSING_PARAM"},
		{"kick: by a non-member", "POST", room + "/kick", bob, map[string]any{"user_id": "@alice:localhost"}, 403, "M_FORBIDDEN"},
		{"join: invite-only room", "POST", room + "/join", bob, map[string]any{}, 403, "M_FORBIDDEN"},
		{"join: unknown local room", "POST", unknown + "/join", bob, map[string]any{}, 404, "M_NOT_FOUND"},
		{"join: remote alias", "POST", "/_matrix/client/v3/join/" + url.PathEscape("#room:elsewhere.example"), bob, map[string]any{}, 404, "M_NOT_FOUND"},
		{"join: unknown alias", "POST", "/_matrix/client/v3/join/" + url.PathEscape("#nothing:localhost"), bob, map[string]any{}, 404, "M_NOT_FOUND"},
		{"join: malformed alias", "POST", "/_matrix/client/v3/join/" + url.PathEscape("#:"), bob, map[string]any{}, 400, "M_INVALID_PARAM"},
		{"forget: still joined", "POST", room + "/forget", alice, map[string]any{}, 400, "M_UNKNOWN"},
		{"createRoom: alias taken", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"room_alias_name": "taken"}, 400, "M_ROOM_IN_USE"},
		{"createRoom: unknown preset", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"preset": "party"}, 400, "M_INVALID_PARAM"},
		{"createRoom: bad visibility", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"visibility": "secret"}, 400, "M_INVALID_PARAM"},
		{"createRoom: bad invitee", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{"invite": []string{"carol"}}, 400, "M_INVALID_PARAM"},
		{"createRoom: create event in initial_state", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{
			"initial_state": []any{map[string]any{"type": "m.room.create", "state_key": "", "content": map[string]any{}}}}, 400, "M_INVALID_PARAM"},
		{"createRoom: override locks the creator out", "POST", "/_matrix/client/v3/createRoom", alice, map[string]any{
			"power_level_content_override": map[string]any{"users": map[string]any{"@alice:localhost": 0}, "state_default": 50},
			"name":                         "x"}, 400, "M_INVALID_ROOM_STATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || r.errcode() != tc.errcode {
				t.Fatalf("%d %v, want %d %s", r.status, r.body, tc.status, tc.errcode)
			}
		})
	}
	// The reused transaction ID of the refused sends was never recorded:
	// the same txnId now succeeds.
	if r := call(t, srv, "PUT", room+"/send/m.room.message/t2", alice, map[string]any{"body": "fine"}); r.status != 200 {
		t.Fatalf("txnId of a refused send: %d %v", r.status, r.body)
	}
}
