package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/axonhs/axon/rooms/event"
)

// Room returns a room's record, or ErrNotFound for a room this server does
// not hold.
func (s *Store) Room(roomID string) (RoomInfo, error) {
	var r RoomInfo
	if len(roomID) > maxKeyComponentBytes {
		return r, ErrNotFound
	}
	err := s.getJSON(roomKey(roomID), &r)
	return r, err
}

// EventNID resolves an event ID to its numeric ID, or ErrNotFound.
func (s *Store) EventNID(eventID string) (uint64, error) {
	return s.getU64(eventIDKey(eventID))
}

// EventByNID returns a stored event, or ErrNotFound.
func (s *Store) EventByNID(nid uint64) (StoredEvent, error) {
	val, closer, err := s.db.Get(eventKey(nid))
	if errors.Is(err, pebble.ErrNotFound) {
		return StoredEvent{}, ErrNotFound
	}
	if err != nil {
		return StoredEvent{}, fmt.Errorf("persistence: get: %w", err)
	}
	defer closer.Close()
	return decodeEvent(val)
}

// EventByID returns a stored event by its event ID, or ErrNotFound.
func (s *Store) EventByID(eventID string) (StoredEvent, error) {
	nid, err := s.EventNID(eventID)
	if err != nil {
		return StoredEvent{}, err
	}
	return s.EventByNID(nid)
}

// EventsByNID returns the stored events of nids in order.
func (s *Store) EventsByNID(nids []uint64) ([]StoredEvent, error) {
	out := make([]StoredEvent, 0, len(nids))
	for _, nid := range nids {
		e, err := s.EventByNID(nid)
		if err != nil {
			return nil, fmt.Errorf("event nid %d: %w", nid, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Store) getU64(key []byte) (uint64, error) {
	val, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("persistence: get: %w", err)
	}
	defer closer.Close()
	if len(val) != 8 {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, errShortValue)
	}
	return binary.BigEndian.Uint64(val), nil
}

// RoomEnd is the position just after the room's last event in topological
// order: paginating backwards from it starts with the newest event.
func (s *Store) RoomEnd(roomID string) (Topo, error) {
	p := roomPrefix(prefixTopo, roomID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return Topo{}, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		return Topo{}, it.Error()
	}
	t, err := topoFromKey(it.Key()[len(p):])
	return t.After(), err
}

func topoFromKey(rest []byte) (Topo, error) {
	if len(rest) != 16 {
		return Topo{}, fmt.Errorf("%w: topological key", ErrCorrupt)
	}
	return Topo{Depth: depthFromSortable(binary.BigEndian.Uint64(rest)), Stream: binary.BigEndian.Uint64(rest[8:])}, nil
}

// RoomEvents pages through a room in topological order. Backwards, it
// returns up to limit events strictly before from, newest first; forwards,
// events at or after from, oldest first. next is the token that continues in
// the same direction (the last event's Topo backwards, its After forwards);
// it equals from when nothing was returned. Events of the room whose stream
// position is above the visible watermark are left out.
func (s *Store) RoomEvents(roomID string, from Topo, backwards bool, limit int) (events []StoredEvent, next Topo, err error) {
	visible, err := s.StreamPosition()
	if err != nil {
		return nil, from, err
	}
	p := roomPrefix(prefixTopo, roomID)
	o := &pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)}
	if backwards {
		o.UpperBound = topoKey(roomID, from)
	} else {
		o.LowerBound = topoKey(roomID, from)
	}
	it, err := s.db.NewIter(o)
	if err != nil {
		return nil, from, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	next = from
	step := it.Next
	ok := it.First()
	if backwards {
		step, ok = it.Prev, it.Last()
	}
	for ; ok && len(events) < limit; ok = step() {
		t, err := topoFromKey(it.Key()[len(p):])
		if err != nil {
			return nil, from, err
		}
		if t.Stream > visible {
			continue
		}
		val := it.Value()
		if len(val) != 8 {
			return nil, from, fmt.Errorf("%w: topological index value", ErrCorrupt)
		}
		e, err := s.EventByNID(binary.BigEndian.Uint64(val))
		if err != nil {
			return nil, from, err
		}
		events = append(events, e)
		next = t
		if !backwards {
			next = t.After()
		}
	}
	return events, next, it.Error()
}

// RoomStream returns up to limit events of a room with stream positions in
// (after, upTo], in stream order; upTo is capped at the visible watermark.
func (s *Store) RoomStream(roomID string, after, upTo uint64, limit int) ([]StoredEvent, error) {
	visible, err := s.StreamPosition()
	if err != nil {
		return nil, err
	}
	upTo = min(upTo, visible)
	if after >= upTo {
		return nil, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: roomStreamKey(roomID, after+1),
		UpperBound: roomStreamKey(roomID, upTo+1),
	})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var out []StoredEvent
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		e, err := s.EventByNID(binary.BigEndian.Uint64(it.Value()))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, it.Error()
}

// Extremities returns the NIDs of a room's forward extremities.
func (s *Store) Extremities(roomID string) ([]uint64, error) {
	return s.scanU64Values(roomPrefix(prefixExtremity, roomID))
}

func (s *Store) scanU64Values(p []byte) ([]uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var out []uint64
	for ok := it.First(); ok; ok = it.Next() {
		if len(it.Value()) != 8 {
			return nil, fmt.Errorf("%w: index value", ErrCorrupt)
		}
		out = append(out, binary.BigEndian.Uint64(it.Value()))
	}
	return out, it.Error()
}

// CurrentState returns a room's current state as slot → NID.
func (s *Store) CurrentState(roomID string) (StateMap, error) {
	return s.currentState(roomPrefix(prefixCurrentState, roomID))
}

// CurrentStateOfType returns the current state slots of one event type
// (m.room.member for the member list).
func (s *Store) CurrentStateOfType(roomID, typ string) (StateMap, error) {
	return s.currentState(currentStateTypePrefix(roomID, typ))
}

func (s *Store) currentState(p []byte) (StateMap, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	out := make(StateMap)
	for ok := it.First(); ok; ok = it.Next() {
		_, rest, _ := splitComponent(it.Key()[1:]) // room ID
		typ, rest, ok1 := splitComponent(rest)
		sk, _, ok2 := splitComponent(rest)
		if !ok1 || !ok2 || len(it.Value()) != 8 {
			return nil, fmt.Errorf("%w: current state key", ErrCorrupt)
		}
		out[event.StateKey{Type: typ, StateKey: sk}] = binary.BigEndian.Uint64(it.Value())
	}
	return out, it.Error()
}

// CurrentStateEvent returns the event in one current-state slot, or
// ErrNotFound when the slot is empty.
func (s *Store) CurrentStateEvent(roomID, typ, stateKey string) (StoredEvent, error) {
	if len(roomID) > maxKeyComponentBytes || len(typ) > maxKeyComponentBytes || len(stateKey) > maxKeyComponentBytes {
		return StoredEvent{}, ErrNotFound
	}
	nid, err := s.getU64(currentStateKey(roomID, typ, stateKey))
	if err != nil {
		return StoredEvent{}, err
	}
	return s.EventByNID(nid)
}
