package client

import (
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/room"
)

// errRoomHidden reports a room the user may not read at all: one they are
// not and never were in (or forgot), unless it is world_readable, and a
// room this server does not hold, which looks the same so that the answer
// does not tell whether a room exists [403 M_FORBIDDEN].
var errRoomHidden = errors.New("client: room not readable")

// maxJoinChain bounds the walk through a user's own membership events when
// looking for a join after an event ("shared" visibility).
const maxJoinChain = 1000

// roomView is one user's view of one room for the length of one request.
// Every read endpoint checks every event it serves through canSee, the one
// history visibility filter (client-server-api module "Room History
// Visibility", rules in rooms/room.CanSee). It caches what it reads per
// state group: consecutive messages share their state group, so paging
// through a timeline resolves few states.
type roomView struct {
	store  *persistence.Store
	roomID string
	userID string
	// deviceID is the requesting device: events it sent are served with
	// unsigned.transaction_id (servedTo).
	deviceID string
	info     persistence.RoomInfo
	// member is the user's current membership; EventNID 0 means never.
	member        persistence.UserMembership
	forgotten     bool
	worldReadable bool // the current history_visibility

	groups    map[uint64]*groupView
	headers   map[uint64]eventHeader // decoded events, by NID
	joins     []persistence.Topo     // the user's join events, newest first
	joinsRead bool
}

// groupView is what visibility reads of one state group.
type groupView struct {
	state      persistence.StateMap
	visibility string
	membership string
}

// openRoomView loads the user's standing in the room and refuses a user who
// may read nothing of it (client-server-api "History visibility": a user
// who never joined reads only world_readable rooms).
func (a *API) openRoomView(roomID, userID string) (*roomView, error) {
	v := &roomView{store: a.cfg.Store, roomID: roomID, userID: userID, groups: map[uint64]*groupView{}}
	info, err := v.store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, errRoomHidden
	}
	if err != nil {
		return nil, err
	}
	v.info = info
	if v.member, err = v.store.Membership(userID, roomID); err != nil {
		return nil, err
	}
	switch v.member.Membership {
	case event.MembershipLeave, event.MembershipBan:
		// Only a user out of the room can have forgotten it; one who is
		// back in has not.
		if v.forgotten, err = v.store.Forgotten(userID, roomID); err != nil {
			return nil, err
		}
	}
	hv, err := v.store.CurrentStateEvent(roomID, event.TypeHistoryVisibility, "")
	switch {
	case err == nil:
		v.worldReadable = storedVisibility(hv) == room.VisibilityWorldReadable
	case !errors.Is(err, persistence.ErrNotFound):
		return nil, err
	}
	if !v.everMember() && !v.worldReadable {
		return nil, errRoomHidden
	}
	return v, nil
}

// everMember reports whether the user has (or had) a membership in the
// room that still lets them read some of it.
func (v *roomView) everMember() bool { return v.member.EventNID != 0 && !v.forgotten }

// joined reports whether the user is joined now.
func (v *roomView) joined() bool {
	return v.member.Membership == event.MembershipJoin && !v.forgotten
}

// group resolves and caches one state group.
func (v *roomView) group(id uint64) (*groupView, error) {
	if g, ok := v.groups[id]; ok {
		return g, nil
	}
	st, err := v.store.SharedStateOfGroup(id) // shared: never modified here
	if err != nil {
		return nil, err
	}
	g := &groupView{state: st, membership: event.MembershipLeave}
	if nid, ok := st[event.StateKey{Type: event.TypeHistoryVisibility}]; ok {
		se, err := v.store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		g.visibility = storedVisibility(se)
	}
	if nid, ok := st[event.StateKey{Type: event.TypeMember, StateKey: v.userID}]; ok {
		se, err := v.store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		g.membership = storedMembership(se)
	}
	v.groups[id] = g
	return g, nil
}

// canSee is the history visibility filter every read endpoint applies to
// every event it serves. Soft-failed and rejected events are never served
// (server-server-api "Soft failure").
func (v *roomView) canSee(se persistence.StoredEvent) (bool, error) {
	if se.Outcome != persistence.OutcomeAccepted || se.RoomID != v.roomID {
		return false, nil
	}
	g, err := v.group(se.StateBefore)
	if err != nil {
		return false, err
	}
	sight := room.Sight{Visibility: g.visibility, Membership: g.membership}
	if v.forgotten {
		// A forgotten room reads as one never joined: only what was
		// world_readable stays visible.
		sight.Membership = event.MembershipLeave
	}
	hdr, err := v.header(se)
	if err != nil {
		return false, err
	}
	if hdr.StateKey != nil && hdr.Type == event.TypeHistoryVisibility && *hdr.StateKey == "" {
		sight.VisibilityAfter = contentVisibility(hdr.Content)
	}
	if hdr.StateKey != nil && hdr.Type == event.TypeMember && *hdr.StateKey == v.userID && !v.forgotten {
		sight.MembershipAfter = contentMembership(hdr.Content)
	}
	if room.CanSee(sight) {
		return true, nil
	}
	if visibilityOrShared(g.visibility) != room.VisibilityShared || v.forgotten {
		return false, nil
	}
	// Rule 3: shared, and the user joined at some point after the event.
	since, err := v.joinedAfter(se.Topo())
	if err != nil {
		return false, err
	}
	sight.JoinedSince = since
	return room.CanSee(sight), nil
}

// joinedAfter reports whether the user joined the room after position t:
// true for a user joined now; otherwise it walks back through the user's
// own member events (each one's predecessor is in the state before it).
func (v *roomView) joinedAfter(t persistence.Topo) (bool, error) {
	if v.joined() {
		return true, nil
	}
	if !v.joinsRead {
		if err := v.readJoins(); err != nil {
			return false, err
		}
	}
	for _, j := range v.joins {
		if topoLess(t, j) {
			return true, nil
		}
	}
	return false, nil
}

func (v *roomView) readJoins() error {
	v.joinsRead = true
	nid := v.member.EventNID
	for i := 0; nid != 0 && i < maxJoinChain; i++ {
		se, err := v.store.EventByNID(nid)
		if err != nil {
			return fmt.Errorf("member event %d: %w", nid, err)
		}
		if storedMembership(se) == event.MembershipJoin {
			v.joins = append(v.joins, se.Topo())
		}
		g, err := v.group(se.StateBefore)
		if err != nil {
			return err
		}
		nid = g.state[event.StateKey{Type: event.TypeMember, StateKey: v.userID}]
	}
	return nil
}

// filterVisible keeps the events the user may see, in order.
func (v *roomView) filterVisible(events []persistence.StoredEvent) ([]persistence.StoredEvent, error) {
	out := events[:0:0]
	for _, se := range events {
		ok, err := v.canSee(se)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, se)
		}
	}
	return out, nil
}

// stateGroupForUser is the state the user may read (GET /state, /members):
// the current state for a joined user or in a world_readable room, the
// state just after their leave or ban for a user who left (as Synapse
// serves it), and nothing for an invited or knocking user of a room that
// is not world_readable (errRoomHidden).
func (v *roomView) stateForUser() (persistence.StateMap, error) {
	if v.joined() || v.worldReadable {
		return v.store.CurrentState(v.roomID)
	}
	switch v.member.Membership {
	case event.MembershipLeave, event.MembershipBan:
		if !v.everMember() {
			return nil, errRoomHidden
		}
		se, err := v.store.EventByNID(v.member.EventNID)
		if err != nil {
			return nil, err
		}
		return v.store.StateAfter(se)
	}
	return nil, errRoomHidden
}

func topoLess(a, b persistence.Topo) bool {
	if a.Depth != b.Depth {
		return a.Depth < b.Depth
	}
	return a.Stream < b.Stream
}

func visibilityOrShared(v string) string {
	switch v {
	case room.VisibilityWorldReadable, room.VisibilityInvited, room.VisibilityJoined:
		return v
	}
	return room.VisibilityShared
}
