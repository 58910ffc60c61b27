package room

import (
	"testing"

	"github.com/axonhs/axon/rooms/event"
)

func TestCanSee(t *testing.T) {
	tests := []struct {
		name string
		s    Sight
		want bool
	}{
		{"world_readable to a stranger", Sight{Visibility: VisibilityWorldReadable}, true},
		{"world_readable to a banned user", Sight{Visibility: VisibilityWorldReadable, Membership: "ban"}, true},
		{"joined member under joined", Sight{Visibility: VisibilityJoined, Membership: "join"}, true},
		{"joined later under joined", Sight{Visibility: VisibilityJoined, Membership: "leave", JoinedSince: true}, false},
		{"invited under joined", Sight{Visibility: VisibilityJoined, Membership: "invite"}, false},
		{"shared, joined later", Sight{Visibility: VisibilityShared, Membership: "leave", JoinedSince: true}, true},
		{"shared, never joined", Sight{Visibility: VisibilityShared, Membership: "leave"}, false},
		{"shared, only invited", Sight{Visibility: VisibilityShared, Membership: "invite"}, false},
		{"invited under invited", Sight{Visibility: VisibilityInvited, Membership: "invite"}, true},
		{"knocking under invited", Sight{Visibility: VisibilityInvited, Membership: "knock"}, false},
		{"joined later under invited", Sight{Visibility: VisibilityInvited, Membership: "leave", JoinedSince: true}, false},
		{"left member under joined", Sight{Visibility: VisibilityJoined, Membership: "leave"}, false},
		{"unset counts as shared", Sight{Membership: "leave", JoinedSince: true}, true},
		{"unknown counts as shared", Sight{Visibility: "sometimes", Membership: "leave", JoinedSince: true}, true},
		{"unknown is not world_readable", Sight{Visibility: "sometimes"}, false},
		{"visibility change to world_readable", Sight{Visibility: VisibilityJoined, VisibilityAfter: VisibilityWorldReadable}, true},
		{"visibility change from world_readable", Sight{Visibility: VisibilityWorldReadable, VisibilityAfter: VisibilityJoined}, true},
		{"visibility change joined to invited", Sight{Visibility: VisibilityJoined, VisibilityAfter: VisibilityInvited}, false},
		{"own join under joined", Sight{Visibility: VisibilityJoined, Membership: "leave", MembershipAfter: "join"}, true},
		{"own leave under joined", Sight{Visibility: VisibilityJoined, Membership: "join", MembershipAfter: "leave"}, true},
		{"own invite under invited", Sight{Visibility: VisibilityInvited, Membership: "leave", MembershipAfter: "invite"}, true},
		{"own ban under joined", Sight{Visibility: VisibilityJoined, Membership: "leave", MembershipAfter: "ban"}, false},
	}
	for _, tc := range tests {
		if got := CanSee(tc.s); got != tc.want {
			t.Errorf("%s: CanSee(%+v) = %v, want %v", tc.name, tc.s, got, tc.want)
		}
	}
}

// TestSightAt follows a room through joined, shared and world_readable
// history and asks what carol, who joins late, and dave, who never joins,
// may see.
func TestSightAt(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat, bob)
	type seen struct {
		ev    *event.Event
		state map[event.StateKey]*event.Event
	}
	var log []seen
	snap := func(fx *Effects) {
		st := map[event.StateKey]*event.Event{}
		for k2, ev := range k.room.state {
			st[k2] = ev
		}
		// State before the event: undo the event's own slot.
		if fx.Event.IsState() {
			if len(fx.StateDelta) == 1 && fx.StateDelta[0].Old != "" {
				old, _ := k.events.Event(fx.StateDelta[0].Old)
				st[fx.Event.Key()] = old
			} else {
				delete(st, fx.Event.Key())
			}
		}
		log = append(log, seen{fx.Event, st})
	}
	snap(k.propose(state(alice, event.TypeHistoryVisibility, "", `{"history_visibility":"joined"}`)))
	snap(k.propose(message(bob, "joined-only")))
	snap(k.propose(state(alice, event.TypeHistoryVisibility, "", `{"history_visibility":"shared"}`)))
	snap(k.propose(message(bob, "shared")))
	snap(k.propose(state(alice, event.TypeHistoryVisibility, "", `{"history_visibility":"world_readable"}`)))
	snap(k.propose(message(bob, "public")))
	snap(k.propose(Join(carol, MemberOptions{})))
	snap(k.propose(message(bob, "after carol")))

	tests := []struct {
		user        string
		joinedSince bool
		want        []bool
	}{
		// hv→joined, joined msg, hv→shared, shared msg, hv→wr, wr msg, carol joins, last msg
		{carol, true, []bool{true, false, true, true, true, true, true, true}},
		{dave, false, []bool{false, false, false, false, true, true, true, true}},
		{bob, true, []bool{true, true, true, true, true, true, true, true}},
	}
	for _, tc := range tests {
		for i, s := range log {
			get := func(key event.StateKey) *event.Event { return s.state[key] }
			got := CanSee(SightAt(s.ev, get, tc.user, tc.joinedSince))
			if got != tc.want[i] {
				t.Errorf("%s event %d (%s): CanSee %v, want %v", tc.user, i, s.ev.Type, got, tc.want[i])
			}
		}
	}
}
