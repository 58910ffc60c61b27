package client

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// errNoSuchRoom reports a room this server does not hold.
var errNoSuchRoom = errors.New("client: unknown room")

// roomSnapshot loads a room's current state from Pebble into a room core
// value, for the permission checks of the directory and of upgrades. It is
// a read: the room actor stays the only writer.
func (a *API) roomSnapshot(roomID string) (*core.Room, error) {
	st := a.cfg.Store
	info, err := st.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, errNoSuchRoom
	}
	if err != nil {
		return nil, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return nil, fmt.Errorf("room %s: %w", roomID, err)
	}
	stored := core.Stored{RoomID: roomID, Version: v}
	cur, err := st.CurrentState(roomID)
	if err != nil {
		return nil, err
	}
	for _, nid := range cur {
		ev, err := parsedNID(st, nid)
		if err != nil {
			return nil, err
		}
		stored.State = append(stored.State, ev)
	}
	extrem, err := st.Extremities(roomID)
	if err != nil {
		return nil, err
	}
	for _, nid := range extrem {
		ev, err := parsedNID(st, nid)
		if err != nil {
			return nil, err
		}
		stored.Extremities = append(stored.Extremities, ev)
	}
	return core.Load(stored, core.Signer{ServerName: a.cfg.ServerName, Rand: rand.Reader})
}

func parsedNID(st *persistence.Store, nid uint64) (*event.Event, error) {
	se, err := st.EventByNID(nid)
	if err != nil {
		return nil, err
	}
	return se.Event()
}

// mayChangeStateNow reports whether userID has the power to send a state event
// of type typ in r's current state (room v12 creators always may).
func mayChangeStateNow(r *core.Room, userID, typ string) bool {
	level, creator := r.PowerLevel(userID)
	if creator {
		return true
	}
	pl, err := auth.PowerLevels(r.Version(), r)
	if err != nil {
		return false
	}
	return level >= pl.EventLevel(typ, true)
}
