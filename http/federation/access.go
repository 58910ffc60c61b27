package federation

import (
	"errors"
	"strings"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// roomAccess checks a room-scoped request from origin: the room is one of
// ours, the room's server ACL allows origin (client-server-api "Server
// Access Control Lists": "all ... room-scoped federation requests"), and
// origin has a member joined to the room now, without which it has no
// business reading the room's history or state.
func (a *API) roomAccess(roomID, origin string) (version.Spec, error) {
	info, err := a.cfg.Store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return version.Spec{}, notFound("Unknown room")
	}
	if err != nil {
		return version.Spec{}, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return version.Spec{}, err
	}
	if !a.aclAllows(roomID, origin) {
		return v, forbidden("Server is banned from this room by its server ACL")
	}
	cur, err := a.cfg.Store.CurrentState(roomID)
	if err != nil {
		return v, err
	}
	if !a.serverHas(cur, origin, "join") {
		return v, forbidden("Server is not in the room")
	}
	return v, nil
}

// roomHistoryAccess is roomAccess for the endpoints that serve events, or
// the state and auth chain at an event, each of which they check with
// serverCanSee: it also admits a server none of whose users is joined any
// more but which has been in the room (its users left, were kicked or
// banned). Such a server may still read the events its users could see
// while joined (client-server-api "Room History Visibility": an event is
// visible to a user whose membership at the event was join). Without this
// a server that was down while its last user was kicked could not fetch
// the events leading to the kick (/get_missing_events), and would never
// learn of it.
func (a *API) roomHistoryAccess(roomID, origin string) (version.Spec, error) {
	v, err := a.roomAccess(roomID, origin)
	var axErr *axhttp.Error
	if err == nil || !errors.As(err, &axErr) || axErr.Code != axhttp.CodeForbidden || !a.aclAllows(roomID, origin) {
		return v, err
	}
	cur, cerr := a.cfg.Store.CurrentState(roomID)
	if cerr != nil {
		return v, cerr
	}
	if !a.serverHas(cur, origin, "leave", "ban") {
		return v, err
	}
	return v, nil
}

// serverHas reports whether a user of server has one of memberships in
// the state s.
func (a *API) serverHas(s persistence.StateMap, server string, memberships ...string) bool {
	suffix := ":" + server
	for k, nid := range s {
		if k.Type != event.TypeMember || !strings.HasSuffix(k.StateKey, suffix) {
			continue
		}
		rec, err := a.cfg.Store.EventByNID(nid)
		if err != nil {
			continue
		}
		ev, err := rec.Event()
		if err != nil {
			continue
		}
		m := core.MembershipOf(ev)
		for _, want := range memberships {
			if m == want {
				return true
			}
		}
	}
	return false
}

// serverCanSee applies history visibility to a server
// (server-server-api "Retrieving events": a server may see what its
// users could; client-server-api module "Room History Visibility"):
// world_readable events are visible to any server that has been in the
// room, shared ones to a server with a joined user at the event or now
// ("joined the room at any point after the event"), invited ones to a
// server with an invited or joined user at the event, joined ones to a
// server with a joined user at the event.
func (a *API) serverCanSee(rec persistence.StoredEvent, server string) bool {
	if rec.Outcome != persistence.OutcomeAccepted {
		return false
	}
	if ev, err := rec.Event(); err == nil && ev.Type == event.TypeMember && ev.StateKey != nil && serverOf(*ev.StateKey) == server {
		// A user's own membership event is visible to them (the state
		// after it applies; client-server-api "Room History Visibility").
		return true
	}
	state, err := a.cfg.Store.StateBefore(rec)
	if err != nil {
		return false
	}
	vis := core.VisibilityShared
	if hv, err := a.cfg.Store.StateEvent(state, "m.room.history_visibility", ""); err == nil && hv != nil {
		if ev, err := hv.Event(); err == nil {
			if v := core.VisibilityOf(ev); v != "" {
				vis = v
			}
		}
	}
	switch vis {
	case core.VisibilityWorldReadable:
		return true
	case core.VisibilityInvited:
		return a.serverHas(state, server, "join", "invite")
	case core.VisibilityJoined:
		return a.serverHas(state, server, "join")
	}
	if a.serverHas(state, server, "join") {
		return true
	}
	cur, err := a.cfg.Store.CurrentState(rec.RoomID)
	return err == nil && a.serverHas(cur, server, "join")
}

// storeEvents serves events by ID from the store, for stateres walks.
type storeEvents struct{ st *persistence.Store }

func (s storeEvents) Event(id string) (*event.Event, error) {
	rec, err := s.st.EventByID(id)
	if err != nil {
		return nil, err
	}
	return rec.Event()
}
