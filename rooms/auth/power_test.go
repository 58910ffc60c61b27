package auth

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

func TestUserPowerLevel(t *testing.T) {
	type query struct {
		user    string
		level   int64
		creator bool
	}
	cases := []struct {
		name  string
		id    version.ID
		setup func(r *room)
		want  []query
	}{
		{"v10/levels from users and users_default", "10", func(r *room) {
			r.setPowerLevels(`{"users_default":3,"users":{"@alice:example.org":100,"@bob:example.org":50}}`)
		}, []query{{alice, 100, false}, {bob, 50, false}, {carol, 3, false}}},
		{"v10/no power levels: creator 100, others 0", "10", func(r *room) { delete(r.state, keyPowerLevels) },
			[]query{{alice, 100, false}, {bob, 0, false}}},
		{"v1/no power levels: creator from content.creator", "1", func(r *room) {
			delete(r.state, keyPowerLevels)
			r.create.Content = []byte(`{"creator":"@bob:example.org"}`)
		}, []query{{alice, 0, false}, {bob, 100, false}}},
		{"v11/no power levels: creator is the create event's sender", "11", func(r *room) {
			delete(r.state, keyPowerLevels)
			r.create.Content = []byte(`{"creator":"@bob:example.org"}`)
		}, []query{{alice, 100, false}, {bob, 0, false}}},
		{"v12/creators are infinite, with or without power levels", "12", func(r *room) {
			r.create.Content = []byte(`{"additional_creators":["@bob:example.org"]}`)
			r.setPowerLevels(`{"users_default":7}`)
		}, []query{{alice, math.MaxInt64, true}, {bob, math.MaxInt64, true}, {carol, 7, false}}},
		{"v12/no power levels: non-creators are 0", "12", func(r *room) { delete(r.state, keyPowerLevels) },
			[]query{{alice, math.MaxInt64, true}, {bob, 0, false}}},
		{"v12/additional creators do not count in v11", "11", func(r *room) {
			r.create.Content = []byte(`{"additional_creators":["@bob:example.org"]}`)
			r.setPowerLevels(`{"users":{"@alice:example.org":100}}`)
		}, []query{{alice, 100, false}, {bob, 0, false}}},
		{"v3/stringy and floaty values", "3", func(r *room) {
			r.setPowerLevels(`{"users":{"@alice:example.org":" 100 ","@bob:example.org":50.57}}`)
		}, []query{{alice, 100, false}, {bob, 50, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRoom(t, c.id)
			c.setup(r)
			for _, q := range c.want {
				l, cr := UserPowerLevel(r.v, r.state, q.user)
				if l != q.level || cr != q.creator {
					t.Errorf("UserPowerLevel(%s) = %d, %v; want %d, %v", q.user, l, cr, q.level, q.creator)
				}
			}
		})
	}
}

func TestPowerLevels(t *testing.T) {
	t.Run("defaults without a power levels event", func(t *testing.T) {
		r := newRoom(t, "10")
		delete(r.state, keyPowerLevels)
		p, err := PowerLevels(r.v, r.state)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(PowerLevelContent{Ban: 50, Kick: 50, Redact: 50, Invite: 0, EventsDefault: 0, StateDefault: 50, UsersDefault: 0,
			Events: map[string]int64{}, Users: map[string]int64{alice: 100}, Notifications: map[string]int64{"room": 50}})
		if fmt.Sprint(p) != want {
			t.Fatalf("got %v\nwant %s", p, want)
		}
		if p.EventLevel("m.room.message", false) != 0 || p.EventLevel("m.room.name", true) != 50 || p.NotificationLevel("room") != 50 {
			t.Fatal("default event or notification levels wrong")
		}
	})
	t.Run("written values override defaults", func(t *testing.T) {
		r := newRoom(t, "10")
		r.setPowerLevels(`{"ban":1,"kick":2,"redact":3,"invite":4,"events_default":5,"state_default":6,"users_default":7,
			"events":{"m.room.name":8},"notifications":{"room":9,"x":10},"users":{"@bob:example.org":11}}`)
		p, err := PowerLevels(r.v, r.state)
		if err != nil {
			t.Fatal(err)
		}
		got := []int64{p.Ban, p.Kick, p.Redact, p.Invite, p.EventsDefault, p.StateDefault, p.UsersDefault,
			p.EventLevel("m.room.name", true), p.NotificationLevel("room"), p.NotificationLevel("x"), p.UserLevel(bob),
			p.EventLevel("m.room.topic", true), p.EventLevel("m.room.message", false), p.UserLevel(carol)}
		if want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 6, 5, 7}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("malformed content is an error", func(t *testing.T) {
		r := newRoom(t, "10")
		r.setPowerLevels(`{"ban":"50"}`)
		if _, err := PowerLevels(r.v, r.state); !errors.Is(err, ErrBadPowerLevels) {
			t.Fatalf("err = %v, want ErrBadPowerLevels", err)
		}
	})
	t.Run("notifications are not validated before v6", func(t *testing.T) {
		r := newRoom(t, "5")
		r.setPowerLevels(`{"notifications":{"room":"x","y":2}}`)
		p, err := PowerLevels(r.v, r.state)
		if err != nil || p.NotificationLevel("room") != 50 || p.NotificationLevel("y") != 2 {
			t.Fatalf("got %v, %v", p.Notifications, err)
		}
	})
}

func TestCreators(t *testing.T) {
	cases := []struct {
		id      version.ID
		content string
		want    []string
	}{
		{"1", `{"creator":"@bob:example.org"}`, []string{bob}},
		{"10", `{"creator":"@bob:example.org"}`, []string{bob}},
		{"10", `{}`, nil},
		{"11", `{"creator":"@bob:example.org"}`, []string{alice}},
		{"12", `{}`, []string{alice}},
		{"12", `{"additional_creators":["@bob:example.org","@carol:example.org"]}`, []string{alice, bob, carol}},
	}
	for _, c := range cases {
		t.Run("v"+string(c.id)+"/"+c.content, func(t *testing.T) {
			r := newRoom(t, c.id)
			r.create.Content = []byte(c.content)
			if got := Creators(r.v, r.state); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	if got := Creators(mustVersion(t, "10"), StateMap{}); got != nil {
		t.Fatalf("no create event: got %v", got)
	}
}

func TestErrorUnwrapsToErrRejected(t *testing.T) {
	r := newRoom(t, "10")
	err := Allowed(r.ev("m.room.message", nil, bob, `{}`), r.state)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("errors.Is(%v, ErrRejected) = false", err)
	}
	if want := "auth: v10 §5 sender: sender is not joined to the room"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestValidUserID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"@alice:example.org", true},
		{"@alice:example.org:8448", true},
		{"@alice:1.2.3.4", true},
		{"@alice:[1234:5678::abcd]", true},
		{"@alice:[1234:5678::abcd]:80", true},
		{"@:example.org", true},       // historical: empty localpart
		{"@Ålice!:example.org", true}, // historical: any code point but ':' and NUL
		{"alice:example.org", false},
		{"@alice", false},
		{"@alice:", false},
		{"@alice:exa mple.org", false},
		{"@alice:example.org:", false},
		{"@alice:example.org:123456", false},
		{"@alice:[zz]", false},
		{"@al\x00ice:example.org", false},
	}
	for _, c := range cases {
		if got := validUserID(c.id); got != c.want {
			t.Errorf("validUserID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}
