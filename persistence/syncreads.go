package persistence

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/axonhs/axon/rooms/event"
)

// RoomStreamTail returns the last limit events of a room with stream
// positions in (after, upTo], oldest first, and whether older events in
// that range were left out: the timeline of a sync and its "limited" flag.
// upTo is capped at the visible watermark.
func (s *Store) RoomStreamTail(roomID string, after, upTo uint64, limit int) ([]StoredEvent, bool, error) {
	visible, err := s.StreamPosition()
	if err != nil {
		return nil, false, err
	}
	upTo = min(upTo, visible)
	if after >= upTo || limit <= 0 {
		return nil, false, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: roomStreamKey(roomID, after+1),
		UpperBound: roomStreamKey(roomID, upTo+1),
	})
	if err != nil {
		return nil, false, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var nids []uint64
	ok := it.Last()
	for ; ok && len(nids) < limit; ok = it.Prev() {
		nids = append(nids, binary.BigEndian.Uint64(it.Value()))
	}
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	more := ok
	out := make([]StoredEvent, len(nids))
	for i, nid := range nids {
		e, err := s.EventByNID(nid)
		if err != nil {
			return nil, false, err
		}
		out[len(nids)-1-i] = e
	}
	return out, more, nil
}

// RoomChangedSince reports whether a room has an event with a stream
// position in (after, upTo].
func (s *Store) RoomChangedSince(roomID string, after, upTo uint64) (bool, error) {
	if after >= upTo {
		return false, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: roomStreamKey(roomID, after+1),
		UpperBound: roomStreamKey(roomID, upTo+1),
	})
	if err != nil {
		return false, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	return it.First(), it.Error()
}

// RoomsMovedSince returns the rooms with an event at a global stream
// position in (after, upTo], reading at most max positions; complete is
// false when the range holds more (the caller then asks room by room with
// RoomChangedSince). It may name a room whose only such event is not in
// the room's stream (a backfilled one): a superset, never fewer. An
// incremental sync of a user in many rooms asks this once instead of once
// per room when few events came since its token.
func (s *Store) RoomsMovedSince(after, upTo uint64, max int) (rooms map[string]bool, complete bool, err error) {
	if after >= upTo {
		return map[string]bool{}, true, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: streamKey(after + 1), UpperBound: streamKey(upTo + 1)})
	if err != nil {
		return nil, false, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var nids []uint64
	for ok := it.First(); ok; ok = it.Next() {
		if len(nids) == max {
			return nil, false, it.Error()
		}
		if len(it.Value()) != 8 {
			return nil, false, fmt.Errorf("%w: stream row", ErrCorrupt)
		}
		nids = append(nids, binary.BigEndian.Uint64(it.Value()))
	}
	if err := it.Error(); err != nil {
		return nil, false, err
	}
	rooms = make(map[string]bool, len(nids))
	for _, nid := range nids {
		e, err := s.EventByNID(nid)
		if err != nil {
			return nil, false, err
		}
		rooms[e.RoomID] = true
	}
	return rooms, true, nil
}

// MembersOf returns a state's m.room.member events by user ID with their
// membership.
func (s *Store) MembersOf(st StateMap) (map[string]StoredEvent, error) {
	out := make(map[string]StoredEvent)
	for k, nid := range st {
		if k.Type != event.TypeMember {
			continue
		}
		e, err := s.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		out[k.StateKey] = e
	}
	return out, nil
}

// RoomStreamBackwards calls f with a room's events with stream positions
// in (after, upTo], newest first, until f returns false or max events have
// been read; upTo is capped at the visible watermark. Unread counting uses
// it to stop at the user's own latest event.
func (s *Store) RoomStreamBackwards(roomID string, after, upTo uint64, max int, f func(StoredEvent) bool) error {
	visible, err := s.StreamPosition()
	if err != nil {
		return err
	}
	upTo = min(upTo, visible)
	if after >= upTo {
		return nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: roomStreamKey(roomID, after+1),
		UpperBound: roomStreamKey(roomID, upTo+1),
	})
	if err != nil {
		return fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	n := 0
	for ok := it.Last(); ok && n < max; ok = it.Prev() {
		e, err := s.EventByNID(binary.BigEndian.Uint64(it.Value()))
		if err != nil {
			return err
		}
		n++
		if !f(e) {
			break
		}
	}
	return it.Error()
}

// stateCache keeps resolved state groups: a group never changes once
// written, so a resolved map can be shared by every reader that does not
// modify it. Bounded by count; when full, an arbitrary entry goes.
type stateCache struct {
	mu sync.Mutex
	m  map[uint64]StateMap
}

const maxCachedStateGroups = 8192

var stateCaches sync.Map // *Store → *stateCache

// SharedStateOfGroup is StateOfGroup through a process-wide cache. The map
// returned is shared: callers must not modify it. /sync and the room read
// endpoints resolve the same few groups on every request.
func (s *Store) SharedStateOfGroup(id uint64) (StateMap, error) {
	v, _ := stateCaches.LoadOrStore(s, &stateCache{m: make(map[uint64]StateMap)})
	c := v.(*stateCache)
	c.mu.Lock()
	st, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.StateOfGroup(id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedStateGroups {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = st
	c.mu.Unlock()
	return st, nil
}
