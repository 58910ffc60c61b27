package auth

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// TestScenarioAgainstAuthEvents walks a room's life in every version the
// way a receiving server checks each PDU: pick the auth events with
// EventsNeeded, check the list with CheckAuthEvents, then run Allowed
// against the auth events alone.
func TestScenarioAgainstAuthEvents(t *testing.T) {
	type step struct {
		name   string
		build  func(r *room) *event.Event
		reject bool
	}
	steps := []step{
		{"alice sets an invite-only join rule", func(r *room) *event.Event {
			return r.ev(event.TypeJoinRules, sk(""), alice, `{"join_rule":"invite"}`)
		}, false},
		{"bob cannot join uninvited", func(r *room) *event.Event { return r.member(bob, bob, "join", "") }, true},
		{"alice invites bob", func(r *room) *event.Event { return r.member(alice, bob, "invite", "") }, false},
		{"bob joins", func(r *room) *event.Event { return r.member(bob, bob, "join", "") }, false},
		{"bob talks", func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{"body":"hi"}`) }, false},
		{"bob cannot rename the room", func(r *room) *event.Event { return r.ev(event.TypeName, sk(""), bob, `{"name":"x"}`) }, true},
		{"bob cannot kick alice", func(r *room) *event.Event { return r.member(bob, alice, "leave", "") }, true},
		{"alice makes bob a moderator", func(r *room) *event.Event {
			return r.ev(event.TypePowerLevels, sk(""), alice, fmt.Sprintf(`{"users":%s}`, r.users(bob, 50)))
		}, false},
		{"bob invites carol", func(r *room) *event.Event { return r.member(bob, carol, "invite", "") }, false},
		{"carol rejects", func(r *room) *event.Event { return r.member(carol, carol, "leave", "") }, false},
		{"bob bans dave", func(r *room) *event.Event { return r.member(bob, dave, "ban", "") }, false},
		{"dave cannot join", func(r *room) *event.Event { return r.member(dave, dave, "join", "") }, true},
		{"bob cannot make himself admin", func(r *room) *event.Event {
			return r.ev(event.TypePowerLevels, sk(""), bob, fmt.Sprintf(`{"users":%s}`, r.users(bob, 100)))
		}, true},
		{"alice kicks bob", func(r *room) *event.Event { return r.member(alice, bob, "leave", "") }, false},
		{"bob cannot talk", func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) }, true},
	}
	for _, v := range version.All() {
		t.Run("v"+string(v.ID), func(t *testing.T) {
			r := newRoom(t, v.ID)
			for _, s := range steps {
				ev := s.build(r)
				keys, err := EventsNeeded(v, ev.Type, ev.StateKey, ev.Sender, ev.Content)
				if err != nil {
					t.Fatalf("%s: EventsNeeded: %v", s.name, err)
				}
				var authEvents []*event.Event
				for _, k := range keys {
					if a := r.state[k]; a != nil {
						authEvents = append(authEvents, a)
						ev.AuthEvents = append(ev.AuthEvents, a.ID)
					}
				}
				if err := CheckAuthEvents(ev, authEvents); err != nil {
					t.Fatalf("%s: CheckAuthEvents: %v", s.name, err)
				}
				var create *event.Event
				if v.RoomIDFromCreateEvent {
					create = r.create
				}
				err = Allowed(ev, StateFromAuthEvents(create, authEvents))
				if s.reject != (err != nil) {
					t.Fatalf("%s: Allowed = %v, want rejected=%v", s.name, err, s.reject)
				}
				if err == nil {
					r.put(ev)
					r.last = ev.ID
				}
			}
		})
	}
}

func TestStateFromAuthEventsV12NeedsCreate(t *testing.T) {
	r := newRoom(t, "12")
	ev := r.ev("m.room.message", nil, alice, `{}`)
	auth := []*event.Event{r.state[keyPowerLevels], r.state[keyMember(alice)]}
	wantResult(t, Allowed(ev, StateFromAuthEvents(nil, auth)), "v12 §2 room_id")
	wantResult(t, Allowed(ev, StateFromAuthEvents(r.create, auth)), "")
}
