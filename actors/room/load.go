package room

import (
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// load rebuilds a room and its writer from Pebble: the current state and
// the forward extremities, parsed with the room's version.
func load(store *persistence.Store, roomID string, signer core.Signer) (*core.Room, *writer, error) {
	info, err := store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownRoom, roomID)
	}
	if err != nil {
		return nil, nil, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return nil, nil, fmt.Errorf("room %s: %w", roomID, err)
	}
	w := newWriter(store, roomID)
	w.info = info
	if w.state, err = store.CurrentState(roomID); err != nil {
		return nil, nil, err
	}
	st := core.Stored{RoomID: roomID, Version: v}
	for _, nid := range w.state {
		ev, err := parseNID(store, nid)
		if err != nil {
			return nil, nil, err
		}
		st.State = append(st.State, ev)
	}
	extrem, err := store.Extremities(roomID)
	if err != nil {
		return nil, nil, err
	}
	for _, nid := range extrem {
		ev, err := parseNID(store, nid)
		if err != nil {
			return nil, nil, err
		}
		st.Extremities = append(st.Extremities, ev)
		w.extrem[ev.ID] = nid
	}
	r, err := core.Load(st, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("loading room %s: %w", roomID, err)
	}
	return r, w, nil
}

func parseNID(store *persistence.Store, nid uint64) (*event.Event, error) {
	rec, err := store.EventByNID(nid)
	if err != nil {
		return nil, fmt.Errorf("event nid %d: %w", nid, err)
	}
	return rec.Event()
}
