package tests

import (
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestSyncUnreadCountsFollowReceipts checks unread counts across
// incremental syncs as a read receipt moves (client-server-api "Receiving
// notifications": counts are of the events after the user's read
// receipt): a receipt on the second of three messages leaves one unread, a
// later message adds one, and a private receipt on the last reads all.
func TestSyncUnreadCountsFollowReceipts(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)
	count := func(s syncJSON) any {
		return s.path("rooms", "join", roomID.String(), "unread_notifications", "notification_count")
	}
	s := doSync(t, srv, bob.AccessToken, nil)
	var sent []id.EventID
	send := func(text string) {
		t.Helper()
		r, err := alice.SendText(ctx, roomID, text)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, r.EventID)
	}
	send("one")
	send("two")
	send("three")
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); count(s) != float64(3) {
		t.Fatalf("after three messages: notification_count %v, want 3", count(s))
	}
	if err := bob.SendReceipt(ctx, roomID, sent[1], event.ReceiptTypeRead, nil); err != nil {
		t.Fatal(err)
	}
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); count(s) != float64(1) {
		t.Fatalf("after a receipt on the second: notification_count %v, want 1", count(s))
	}
	send("four")
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); count(s) != float64(2) {
		t.Fatalf("after a fourth message: notification_count %v, want 2", count(s))
	}
	if err := bob.SendReceipt(ctx, roomID, sent[3], event.ReceiptTypeReadPrivate, nil); err != nil {
		t.Fatal(err)
	}
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); count(s) != float64(0) {
		t.Fatalf("after a private receipt on the last: notification_count %v, want 0", count(s))
	}
}
