package tests

import (
	"testing"
)

// TestSyncHidesIgnoredUsersAsTheListChanges: a sync leaves out messages of
// users on the m.ignored_user_list as the list is when it syncs
// (client-server-api "Ignoring Users": "the server MUST NOT send any new
// events ... from ignored users"), including right after the list changed
// between two syncs, and shows them again once they are no longer ignored.
func TestSyncHidesIgnoredUsersAsTheListChanges(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	roomID := roomWith(t, alice, bob)
	bodies := func(s syncJSON) []string {
		var out []string
		evs, _ := s.path("rooms", "join", roomID.String(), "timeline", "events").([]any)
		for _, e := range evs {
			if b, ok := e.(map[string]any)["content"].(map[string]any)["body"].(string); ok {
				out = append(out, b)
			}
		}
		return out
	}
	ignore := func(users map[string]any) {
		t.Helper()
		if err := bob.SetAccountData(ctx, "m.ignored_user_list", map[string]any{"ignored_users": users}); err != nil {
			t.Fatal(err)
		}
	}
	send := func(text string) {
		t.Helper()
		if _, err := alice.SendText(ctx, roomID, text); err != nil {
			t.Fatal(err)
		}
	}
	s := doSync(t, srv, bob.AccessToken, nil)
	send("before")
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); len(bodies(s)) != 1 {
		t.Fatalf("before ignoring: bodies %v", bodies(s))
	}
	ignore(map[string]any{alice.UserID.String(): map[string]any{}})
	send("while ignored")
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); len(bodies(s)) != 0 {
		t.Fatalf("while alice is ignored: bodies %v", bodies(s))
	}
	ignore(map[string]any{})
	send("after")
	if s = doSync(t, srv, bob.AccessToken, q("since", s.next())); len(bodies(s)) != 1 || bodies(s)[0] != "after" {
		t.Fatalf("after un-ignoring: bodies %v", bodies(s))
	}
}
