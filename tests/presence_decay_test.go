package tests

import (
	"net/url"
	"testing"
)

// The HTTP paths that feed automatic presence (the timeouts themselves
// are tested with a fake clock in http/client): a /sync with
// set_presence=online marks the user online and currently active, one
// with set_presence=offline leaves them offline, and a sent message
// brings a user who was unavailable back online, which the roommate's
// long-poll hears of.
func TestPresenceFromSyncAndActivity(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	room := roomWith(t, alice, bob, carol)
	status := func(c string) map[string]any {
		t.Helper()
		r := call(t, srv, "GET", v3+"/presence/"+url.PathEscape(c)+"/status", bob.AccessToken, nil)
		if r.status != 200 {
			t.Fatalf("GET presence of %s: %d %v", c, r.status, r.body)
		}
		return r.body
	}

	doSync(t, srv, alice.AccessToken, q("set_presence", "online"))
	if p := status(alice.UserID.String()); p["presence"] != "online" || p["currently_active"] != true {
		t.Fatalf("after a sync with set_presence=online: %v", p)
	}
	doSync(t, srv, carol.AccessToken, q("set_presence", "offline"))
	if p := status(carol.UserID.String()); p["presence"] != "offline" {
		t.Fatalf("after a sync with set_presence=offline: %v", p)
	}

	wantReply(t, "put unavailable", call(t, srv, "PUT", v3+"/presence/"+url.PathEscape(alice.UserID.String())+"/status", alice.AccessToken,
		map[string]any{"presence": "unavailable"}), 200, "")
	doSync(t, srv, alice.AccessToken, q("set_presence", "online"))
	if p := status(alice.UserID.String()); p["presence"] != "unavailable" {
		t.Fatalf("a poll alone brought an unavailable user back: %v", p)
	}
	since := doSync(t, srv, bob.AccessToken, nil).next()
	if _, err := alice.SendText(bg(t), room, "back"); err != nil {
		t.Fatal(err)
	}
	if p := status(alice.UserID.String()); p["presence"] != "online" || p["currently_active"] != true {
		t.Fatalf("after sending a message: %v", p)
	}
	found := false
	for range 3 {
		s := doSync(t, srv, bob.AccessToken, q("since", since, "timeout", "5000"))
		for _, e := range s.events("presence") {
			if e["sender"] == alice.UserID.String() && e["content"].(map[string]any)["presence"] == "online" {
				found = true
			}
		}
		if found {
			break
		}
		since = s.next()
	}
	if !found {
		t.Fatal("bob's sync never showed alice online again")
	}
}
