package persistence

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// RoomTopoAtStream turns a global stream position (the positions /sync
// tokens carry) into a position in a room's topological order: just after
// the room's last event at or below stream, so that paginating backwards
// from it starts with that event. A room with no event at or below stream
// gives the position before its first event. Reads the room's stream
// index ('y') with one seek.
func (s *Store) RoomTopoAtStream(roomID string, stream uint64) (Topo, error) {
	if len(roomID) > maxKeyComponentBytes {
		return Topo{}, ErrNotFound
	}
	visible, err := s.StreamPosition()
	if err != nil {
		return Topo{}, err
	}
	stream = min(stream, visible)
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: roomStreamKey(roomID, 0),
		UpperBound: roomStreamKey(roomID, stream+1),
	})
	if err != nil {
		return Topo{}, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		return Topo{}, it.Error()
	}
	if len(it.Value()) != 8 {
		return Topo{}, fmt.Errorf("%w: room stream index value", ErrCorrupt)
	}
	e, err := s.EventByNID(binary.BigEndian.Uint64(it.Value()))
	if err != nil {
		return Topo{}, err
	}
	return e.Topo().After(), nil
}
