package room

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
)

// History visibility values (m.room.history_visibility).
const (
	VisibilityWorldReadable = "world_readable"
	VisibilityShared        = "shared"
	VisibilityInvited       = "invited"
	VisibilityJoined        = "joined"
)

// Sight is what CanSee needs to know about one user and one event.
type Sight struct {
	// Visibility is the room's history_visibility in the state at the event
	// ("" when unset).
	Visibility string
	// Membership is the user's membership in the state at the event (""
	// or "leave" when none).
	Membership string
	// VisibilityAfter and MembershipAfter are the same after the event.
	// They matter only for an m.room.history_visibility event and for the
	// user's own m.room.member event, which the user may see if the state
	// before or after allows it; leave them "" otherwise.
	VisibilityAfter string
	MembershipAfter string
	// JoinedSince reports that the user joined the room at some point after
	// the event (for "shared"); a user who is joined now has.
	JoinedSince bool
}

// CanSee reports whether a user may see an event (client-server-api module
// "Room History Visibility", "Server behaviour"):
//
//  1. world_readable: allow;
//  2. the user's membership was join: allow;
//  3. shared, and the user joined the room at any point after the event:
//     allow;
//  4. the user's membership was invite and visibility invited: allow;
//  5. otherwise deny.
//
// An unset or unknown visibility counts as shared. For history visibility
// events and the user's own member events, the state after the event is
// tried too.
func CanSee(s Sight) bool {
	if visible(s.Visibility, s.Membership, s.JoinedSince) {
		return true
	}
	if s.VisibilityAfter == "" && s.MembershipAfter == "" {
		return false
	}
	vis, mem := s.Visibility, s.Membership
	if s.VisibilityAfter != "" {
		vis = s.VisibilityAfter
	}
	if s.MembershipAfter != "" {
		mem = s.MembershipAfter
	}
	return visible(vis, mem, s.JoinedSince)
}

// visible applies the five rules to one state.
func visible(vis, membership string, joinedSince bool) bool {
	switch vis {
	case VisibilityWorldReadable:
		return true
	case VisibilityInvited, VisibilityJoined:
	default:
		vis = VisibilityShared
	}
	if membership == event.MembershipJoin {
		return true
	}
	if vis == VisibilityShared && joinedSince {
		return true
	}
	return membership == event.MembershipInvite && vis == VisibilityInvited
}

// VisibilityOf returns the history_visibility of an
// m.room.history_visibility event ("" for nil or malformed content).
func VisibilityOf(ev *event.Event) string {
	if ev == nil {
		return ""
	}
	var c struct {
		V string `json:"history_visibility"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return ""
	}
	return c.V
}

// MembershipOf returns the membership of an m.room.member event ("leave"
// for nil).
func MembershipOf(ev *event.Event) string {
	if ev == nil {
		return event.MembershipLeave
	}
	if m := membershipOf(ev); m != "" {
		return m
	}
	return event.MembershipLeave
}

// SightAt fills a Sight for userID and ev from the state before the event
// (state, which the caller retrieves for ev) and whether the user has
// joined since. It handles the special cases itself: for an
// m.room.history_visibility event the new visibility, for the user's own
// member event the new membership.
func SightAt(ev *event.Event, state func(event.StateKey) *event.Event, userID string, joinedSince bool) Sight {
	s := Sight{
		Visibility:  VisibilityOf(state(event.StateKey{Type: event.TypeHistoryVisibility})),
		Membership:  MembershipOf(state(event.StateKey{Type: event.TypeMember, StateKey: userID})),
		JoinedSince: joinedSince,
	}
	if ev.IsState() && ev.Type == event.TypeHistoryVisibility && *ev.StateKey == "" {
		s.VisibilityAfter = VisibilityOf(ev)
	}
	if ev.IsState() && ev.Type == event.TypeMember && *ev.StateKey == userID {
		s.MembershipAfter = MembershipOf(ev)
	}
	return s
}
