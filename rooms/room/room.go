package room

import (
	"slices"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// Room is the in-memory state of one room: its ID and version, the current
// state, the forward extremities, and the membership views derived from the
// state. A Room is owned by one goroutine (the room actor); it is not safe
// for concurrent use.
type Room struct {
	id     string
	spec   version.Spec
	signer Signer

	state       auth.StateMap
	extremities []*event.Event
	maxDepth    int64
	// forkStates holds the state after each forward extremity while there
	// are several (forks.go); nil with one.
	forkStates map[string]stateres.StateMap

	// members maps a user to their membership, for join, invite, knock and
	// ban; users who left (or never came) are absent.
	members map[string]string
	// servers counts the joined members of each server.
	servers map[string]int
	// others is the sorted list of servers with joined members other than
	// ours, rebuilt when the set of servers changes.
	others []string
	// refHashes caches reference hashes, which room versions 1 and 2 quote
	// beside every prev_events and auth_events ID.
	refHashes map[string][32]byte
}

// newRoom returns an empty room of version v.
func newRoom(id string, v version.Spec, s Signer) *Room {
	return &Room{
		id: id, spec: v, signer: s,
		state:   auth.StateMap{},
		members: map[string]string{},
		servers: map[string]int{},
	}
}

// ID is the room ID.
func (r *Room) ID() string { return r.id }

// Version is the room's version.
func (r *Room) Version() version.Spec { return r.spec }

// ServerName is the name of the server this Room builds events as.
func (r *Room) ServerName() string { return r.signer.ServerName }

// State returns the current state event in slot k, or nil.
func (r *Room) State(k event.StateKey) *event.Event { return r.state[k] }

// Get lets a Room serve as the auth.State of its current state.
func (r *Room) Get(k event.StateKey) *event.Event { return r.state[k] }

// StateEvents returns the current state, sorted by type and state key.
func (r *Room) StateEvents() []*event.Event {
	out := make([]*event.Event, 0, len(r.state))
	for _, ev := range r.state {
		out = append(out, ev)
	}
	slices.SortFunc(out, func(a, b *event.Event) int {
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		switch {
		case *a.StateKey < *b.StateKey:
			return -1
		case *a.StateKey > *b.StateKey:
			return 1
		}
		return 0
	})
	return out
}

// Extremities returns the IDs of the forward extremities: the events no
// other accepted event of the room names as a prev_event.
func (r *Room) Extremities() []string {
	out := make([]string, len(r.extremities))
	for i, ev := range r.extremities {
		out[i] = ev.ID
	}
	return out
}

// MaxDepth is the largest depth of any event applied to the room.
func (r *Room) MaxDepth() int64 { return r.maxDepth }

// Membership returns userID's current membership: join, invite, knock, ban,
// or leave (also for a user the room has never seen).
func (r *Room) Membership(userID string) string {
	if m, ok := r.members[userID]; ok {
		return m
	}
	return event.MembershipLeave
}

// Members returns the users with the given membership (join, invite, knock
// or ban), sorted.
func (r *Room) Members(membership string) []string {
	var out []string
	for u, m := range r.members {
		if m == membership {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// Joined returns the joined members, sorted.
func (r *Room) Joined() []string { return r.Members(event.MembershipJoin) }

// Invited returns the invited users, sorted.
func (r *Room) Invited() []string { return r.Members(event.MembershipInvite) }

// Knocking returns the users knocking on the room, sorted.
func (r *Room) Knocking() []string { return r.Members(event.MembershipKnock) }

// Banned returns the banned users, sorted.
func (r *Room) Banned() []string { return r.Members(event.MembershipBan) }

// Servers returns the servers in the room: those with at least one joined
// member (server-server-api "Room State"; client-server-api "Server Access
// Control Lists"), ours included, sorted.
func (r *Room) Servers() []string {
	out := make([]string, 0, len(r.servers))
	for s := range r.servers {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// PowerLevel returns userID's power level; creator reports a room version
// 12 creator, whose level is infinite.
func (r *Room) PowerLevel(userID string) (level int64, creator bool) {
	return auth.UserPowerLevel(r.spec, r.state, userID)
}

// serverOf returns the server part of a user ID, or "" when it is not one.
func serverOf(userID string) string {
	u, err := ids.ParseUserIDLenient(userID)
	if err != nil {
		return ""
	}
	return string(u.Server())
}
