package tests

import (
	"net/url"
	"slices"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// lazyStateMembers returns the state keys of the m.room.member events in a
// room's state section of a /sync response.
func lazyStateMembers(s syncJSON, roomID id.RoomID) []string {
	var out []string
	for _, e := range s.events("rooms", "join", roomID.String(), "state") {
		if e["type"] == "m.room.member" {
			out = append(out, e["state_key"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// TestSyncLazyMembersNotResent checks include_redundant_members
// (client-server-api "Lazy-loading room members"): with it false an
// incremental sync leaves out member events the device was sent before,
// with it true they come again, and a new chain (an initial sync, or an
// older since token) gets them again.
func TestSyncLazyMembersNotResent(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	// A named room: the summary has no heroes, whose member events a
	// lazily loading sync sends too (TestSyncLazyHeroMembers).
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", Name: "lazy"})
	if err != nil {
		t.Fatal(err)
	}
	roomID := created.RoomID
	for _, c := range []*mautrix.Client{bob, carol} {
		if _, err := c.JoinRoomByID(ctx, roomID); err != nil {
			t.Fatal(err)
		}
	}
	const (
		lazy      = `{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}}`
		redundant = `{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true,"include_redundant_members":true}}}`
	)
	say := func(c *mautrix.Client, body string) {
		t.Helper()
		if _, err := c.SendText(ctx, roomID, body); err != nil {
			t.Fatal(err)
		}
	}
	sync := func(since, filter string) syncJSON {
		t.Helper()
		v := url.Values{"filter": {filter}}
		if since != "" {
			v.Set("since", since)
		}
		return doSync(t, srv, carol.AccessToken, v)
	}
	bobID := []string{bob.UserID.String()}

	t0 := sync("", lazy).next() // carol's own join is the timeline
	say(bob, "one")
	s1 := sync(t0, lazy)
	if got := lazyStateMembers(s1, roomID); !slices.Equal(got, bobID) {
		t.Fatalf("first message of bob: state members %v, want %v", got, bobID)
	}
	say(bob, "two")
	s2 := sync(s1.next(), lazy)
	if got := msgBodies(s2.events("rooms", "join", roomID.String(), "timeline")); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("second sync timeline %v", got)
	}
	if got := lazyStateMembers(s2, roomID); len(got) != 0 {
		t.Fatalf("bob's member event sent again: %v", got)
	}
	if got := lazyStateMembers(sync(s1.next(), redundant), roomID); !slices.Equal(got, bobID) {
		t.Fatalf("include_redundant_members: state members %v, want %v", got, bobID)
	}
	// A retry from a token before the one that sent bob's member event:
	// the client may never have received that response.
	if got := lazyStateMembers(sync(t0, lazy), roomID); !slices.Equal(got, bobID) {
		t.Fatalf("sync from an older token: state members %v, want %v", got, bobID)
	}
	// An initial sync starts a new chain and sends it again, and the next
	// incremental sync of that chain does not.
	fresh := sync("", lazy)
	if got := lazyStateMembers(fresh, roomID); !slices.Equal(got, bobID) {
		t.Fatalf("initial sync: state members %v, want %v", got, bobID)
	}
	say(bob, "three")
	s3 := sync(fresh.next(), lazy)
	if got := lazyStateMembers(s3, roomID); len(got) != 0 {
		t.Fatalf("after an initial sync bob's member event sent again: %v", got)
	}
	// A changed member event is sent: bob renames himself, and the gap
	// (limit 1) hides the new member event from the timeline.
	if err := bob.SetDisplayName(ctx, "Bobby"); err != nil {
		t.Fatal(err)
	}
	say(bob, "four")
	say(bob, "five")
	s4 := sync(s3.next(), lazy)
	if s4.path("rooms", "join", roomID.String(), "timeline", "limited") != true {
		t.Fatalf("timeline not limited: %v", s4.path("rooms", "join", roomID.String(), "timeline"))
	}
	if got := lazyStateMembers(s4, roomID); !slices.Equal(got, bobID) {
		t.Fatalf("renamed bob: state members %v, want %v", got, bobID)
	}
	say(bob, "six")
	if got := lazyStateMembers(sync(s4.next(), lazy), roomID); len(got) != 0 {
		t.Fatalf("renamed bob's member event sent again: %v", got)
	}
}

// TestSyncLazyHeroMembers checks that a lazily loading sync of a room
// without a name sends the member events of the summary's heroes (sync.yaml
// m.heroes: they "MUST be included in the state, unless they are
// redundant"), and counts them as sent.
func TestSyncLazyHeroMembers(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	roomID := roomWith(t, alice, bob, carol)
	const lazy = `{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}}`
	s := doSync(t, srv, carol.AccessToken, q("filter", lazy))
	heroes, _ := s.path("rooms", "join", roomID.String(), "summary", "m.heroes").([]any)
	var want []string
	for _, h := range heroes {
		want = append(want, h.(string))
	}
	slices.Sort(want)
	if !slices.Equal(want, []string{alice.UserID.String(), bob.UserID.String()}) {
		t.Fatalf("heroes %v", heroes)
	}
	if got := lazyStateMembers(s, roomID); !slices.Equal(got, want) {
		t.Fatalf("state members %v, want the heroes %v", got, want)
	}
	if _, err := bob.SendText(ctx, roomID, "hi"); err != nil {
		t.Fatal(err)
	}
	next := doSync(t, srv, carol.AccessToken, q("since", s.next(), "filter", lazy))
	if got := lazyStateMembers(next, roomID); len(got) != 0 {
		t.Fatalf("a hero's member event sent again: %v", got)
	}
}
