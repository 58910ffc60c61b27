package room

import (
	"encoding/json"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// UpdateProfile sends a member event only for a joined user whose member
// event differs from their stored profile, and the event carries the
// profile stored when the actor handled it.
func TestUpdateProfile(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	room := createRoom(t, d, "12")
	if _, err := d.Join(ctxT(t), room, bob, core.MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	setProfile := func(lp string, p persistence.Profile) {
		b := st.NewBatch()
		b.PutProfile(lp, p)
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	const carol = "@carol:example.org"
	steps := []struct {
		name      string
		setup     func()
		userID    string
		localpart string
		wantEvent bool
		wantName  string
	}{
		{"no profile, no name in the member event", func() {}, bob, "bob", false, ""},
		{"new display name", func() { setProfile("bob", persistence.Profile{DisplayName: "Bob"}) }, bob, "bob", true, "Bob"},
		{"unchanged", func() {}, bob, "bob", false, ""},
		{"name changed twice before the request", func() {
			setProfile("bob", persistence.Profile{DisplayName: "Robert"})
			setProfile("bob", persistence.Profile{DisplayName: "Bobby", AvatarURL: "mxc://example.org/b"})
		}, bob, "bob", true, "Bobby"},
		{"user not in the room", func() { setProfile("carol", persistence.Profile{DisplayName: "Carol"}) }, carol, "carol", false, ""},
	}
	for _, s := range steps {
		s.setup()
		id, err := d.UpdateProfile(ctxT(t), room, s.userID, s.localpart)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if (id != "") != s.wantEvent {
			t.Fatalf("%s: event %q, want one: %v", s.name, id, s.wantEvent)
		}
		if id == "" {
			continue
		}
		ev := storedEvent(t, st, id)
		var c map[string]any
		if err := json.Unmarshal(ev.Content, &c); err != nil {
			t.Fatal(err)
		}
		if ev.Type != "m.room.member" || *ev.StateKey != s.userID || c["membership"] != "join" || c["displayname"] != s.wantName {
			t.Errorf("%s: %s %v, want a join of %s named %q", s.name, ev.Type, c, s.userID, s.wantName)
		}
	}
}
