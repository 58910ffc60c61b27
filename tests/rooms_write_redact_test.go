package tests

import (
	"net/http"
	"testing"

	"maunium.net/go/mautrix"
)

// Redaction strips the content for everyone who reads the event.
func TestRoomRedaction(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	sent, err := bob.SendText(ctx, room, "my secret")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bob.RedactEvent(ctx, room, "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", mautrix.ReqRedact{Reason: "x"})
	wantMatrixError(t, "redact unknown event", err, http.StatusNotFound, "M_NOT_FOUND")
	_, err = bob.RedactEvent(ctx, room, "$not-an-id", mautrix.ReqRedact{Reason: "x"})
	wantMatrixError(t, "redact malformed event ID", err, http.StatusBadRequest, "M_INVALID_PARAM")
	if _, err := alice.RedactEvent(ctx, room, sent.EventID, mautrix.ReqRedact{Reason: "leak"}); err != nil {
		t.Fatalf("moderator redacts: %v", err)
	}
	for _, c := range []*mautrix.Client{alice, bob} {
		r := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+room.String()+"/event/"+sent.EventID.String(), c.AccessToken, nil)
		if r.status != 200 {
			t.Fatalf("%s reads the redacted event: %d %v", c.UserID, r.status, r.body)
		}
		if content, _ := r.body["content"].(map[string]any); len(content) != 0 {
			t.Fatalf("%s sees content %v after redaction", c.UserID, content)
		}
		unsigned, _ := r.body["unsigned"].(map[string]any)
		if unsigned["redacted_because"] == nil {
			t.Fatalf("%s: no redacted_because in %v", c.UserID, r.body)
		}
	}
}
