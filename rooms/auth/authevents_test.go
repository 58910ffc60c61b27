package auth

import (
	"fmt"
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// cite makes ev cite the state events in keys, returning them.
func cite(r *room, ev *event.Event, keys ...event.StateKey) []*event.Event {
	var out []*event.Event
	ev.AuthEvents = nil
	for _, k := range keys {
		a := r.state[k]
		if a == nil {
			r.t.Fatalf("no state event for %v", k)
		}
		ev.AuthEvents = append(ev.AuthEvents, a.ID)
		out = append(out, a)
	}
	return out
}

func TestCheckAuthEvents(t *testing.T) {
	type aeCase struct {
		name string
		only func(v version.Spec) bool
		// build returns the event and the accepted auth events passed in.
		build func(r *room) (*event.Event, []*event.Event)
		want  string
	}
	base := func(r *room) []event.StateKey {
		if r.v.RoomIDFromCreateEvent {
			return []event.StateKey{keyPowerLevels, keyMember(alice)}
		}
		return []event.StateKey{keyCreate, keyPowerLevels, keyMember(alice)}
	}
	msg := func(r *room) *event.Event { return r.ev("m.room.message", nil, alice, `{}`) }
	cases := []aeCase{
		{name: "auth_events/the selected events are allowed", build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			return e, cite(r, e, base(r)...)
		}},
		{name: "auth_events/a subset of the selection is allowed", only: preV12, build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			return e, cite(r, e, keyCreate)
		}},
		{name: "auth_events/join cites the join rules and target", build: func(r *room) (*event.Event, []*event.Event) {
			r.setJoinRule("public")
			e := r.member(bob, bob, "join", "")
			return e, cite(r, e, append(base(r)[:len(base(r))-1], keyJoinRules)...)
		}},
		{name: "auth_events/two events for one slot are rejected", build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			old := r.state[keyPowerLevels]
			r.setPowerLevels(`{}`)
			got := cite(r, e, base(r)...)
			e.AuthEvents = append(e.AuthEvents, old.ID)
			return e, append(got, old)
		}, want: "{authEvents}.1 auth_events"},
		{name: "auth_events/the same event twice is rejected", build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			got := cite(r, e, base(r)...)
			e.AuthEvents = append(e.AuthEvents, e.AuthEvents[0])
			return e, got
		}, want: "{authEvents}.1 auth_events"},
		{name: "auth_events/join rules on a message are rejected", build: func(r *room) (*event.Event, []*event.Event) {
			r.setJoinRule("public")
			e := msg(r)
			return e, cite(r, e, append(base(r), keyJoinRules)...)
		}, want: "{authEvents}.2 auth_events"},
		{name: "auth_events/another user's member event is rejected", build: func(r *room) (*event.Event, []*event.Event) {
			r.setMembership(bob, "join")
			e := msg(r)
			return e, cite(r, e, append(base(r), keyMember(bob))...)
		}, want: "{authEvents}.2 auth_events"},
		{name: "auth_events/the create event is rejected in v12", only: v12, build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			return e, cite(r, e, append(base(r), keyCreate)...)
		}, want: "{authEvents}.2 auth_events"},
		{name: "auth_events/a rejected or unknown auth event is rejected", build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			got := cite(r, e, base(r)...)
			return e, got[1:]
		}, want: "{authEvents}.3 auth_events"},
		{name: "auth_events/no create event is rejected", only: preV12, build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			return e, cite(r, e, keyPowerLevels, keyMember(alice))
		}, want: "{authEvents}.4 auth_events"},
		{name: "auth_events/an auth event from another room is rejected", build: func(r *room) (*event.Event, []*event.Event) {
			e := msg(r)
			got := cite(r, e, base(r)...)
			moved := *got[len(got)-1]
			moved.RoomID = "!other:example.org"
			got[len(got)-1] = &moved
			return e, got
		}, want: "{authEvents}.5 auth_events"},
	}
	for _, v := range version.All() {
		for _, c := range cases {
			if c.only != nil && !c.only(v) {
				continue
			}
			t.Run(fmt.Sprintf("v%s/%s", v.ID, c.name), func(t *testing.T) {
				r := newRoom(t, v.ID)
				e, auth := c.build(r)
				want := ""
				if c.want != "" {
					want = expandRule(t, v, c.want)
				}
				wantResult(t, CheckAuthEvents(e, auth), want)
			})
		}
	}
	t.Run("create has no auth events to check", func(t *testing.T) {
		r := newRoom(t, "10")
		if err := CheckAuthEvents(r.create, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEventsNeeded(t *testing.T) {
	v10, v12, v7 := mustVersion(t, "10"), mustVersion(t, "12"), mustVersion(t, "7")
	create, pl, jr := keyCreate, keyPowerLevels, keyJoinRules
	m := keyMember
	cases := []struct {
		name     string
		v        version.Spec
		typ      string
		stateKey *string
		sender   string
		content  string
		want     []event.StateKey
	}{
		{"create needs nothing", v10, event.TypeCreate, sk(""), alice, `{}`, nil},
		{"message", v10, "m.room.message", nil, alice, `{}`, []event.StateKey{create, pl, m(alice)}},
		{"message in v12 leaves out the create event", v12, "m.room.message", nil, alice, `{}`, []event.StateKey{pl, m(alice)}},
		{"join", v10, event.TypeMember, sk(bob), bob, `{"membership":"join"}`, []event.StateKey{create, pl, m(bob), jr}},
		{"invite", v10, event.TypeMember, sk(bob), alice, `{"membership":"invite"}`, []event.StateKey{create, pl, m(alice), m(bob), jr}},
		{"knock", v10, event.TypeMember, sk(bob), bob, `{"membership":"knock"}`, []event.StateKey{create, pl, m(bob), jr}},
		{"leave needs no join rules", v10, event.TypeMember, sk(bob), alice, `{"membership":"leave"}`, []event.StateKey{create, pl, m(alice), m(bob)}},
		{"ban needs no join rules", v10, event.TypeMember, sk(bob), alice, `{"membership":"ban"}`, []event.StateKey{create, pl, m(alice), m(bob)}},
		{"third-party invite adds its token", v10, event.TypeMember, sk(bob), alice,
			`{"membership":"invite","third_party_invite":{"signed":{"mxid":"@bob:example.org","token":"tok"}}}`,
			[]event.StateKey{create, pl, m(alice), m(bob), jr, keyThirdPartyInvite("tok")}},
		{"restricted join adds the authorising user", v10, event.TypeMember, sk(bob), bob,
			`{"membership":"join","join_authorised_via_users_server":"@carol:example.org"}`,
			[]event.StateKey{create, pl, m(bob), jr, m(carol)}},
		{"join_authorised_via_users_server ignored before v8", v7, event.TypeMember, sk(bob), bob,
			`{"membership":"join","join_authorised_via_users_server":"@carol:example.org"}`,
			[]event.StateKey{create, pl, m(bob), jr}},
		{"join_authorised_via_users_server ignored on invites", v10, event.TypeMember, sk(bob), alice,
			`{"membership":"invite","join_authorised_via_users_server":"@carol:example.org"}`,
			[]event.StateKey{create, pl, m(alice), m(bob), jr}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := EventsNeeded(c.v, c.typ, c.stateKey, c.sender, []byte(c.content))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
	t.Run("member without state_key is an error", func(t *testing.T) {
		if _, err := EventsNeeded(v10, event.TypeMember, nil, bob, []byte(`{"membership":"join"}`)); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("member with content that is not an object is an error", func(t *testing.T) {
		if _, err := EventsNeeded(v10, event.TypeMember, sk(bob), bob, []byte(`[]`)); err == nil {
			t.Fatal("no error")
		}
	})
}
