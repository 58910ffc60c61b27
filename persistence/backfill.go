package persistence

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Backfill bookkeeping (server-server-api "Backfilling and retrieving
// missing events"). Written only by the room actor of the room in the key:
//
//	prefix 'B'  B | 0 | lp(roomID)               → BackfillState: the extremities below were computed
//	prefix 'B'  B | 1 | lp(roomID) | lp(eventID) → BackwardExtremity: a timeline event whose prev_events
//	                                                are not all in the timeline
//	prefix 'B'  B | 2 | lp(roomID) | lp(targetID) | lp(redactionID) → empty: an accepted redaction
//	                                                of an event not held yet, applied when it is backfilled
//
// A backfilled event is written like a timeline event but without a row in
// the room's stream ('y'): /messages and /context find it through the
// topological ordering ('k'), while incremental /sync, which reads the
// room's stream, never does. It keeps a stream position of its own (and
// its 'o' row, which only restores the stream counter after a restart) so
// that its topological key is unique.
const prefixBackfill byte = 'B'

const (
	backfillStateTag     byte = 0
	backfillExtremityTag byte = 1
	pendingRedactionTag  byte = 2
)

func backfillStateKey(roomID string) []byte {
	return appendComponent([]byte{prefixBackfill, backfillStateTag}, roomID)
}

func backwardExtremitiesPrefix(roomID string) []byte {
	return appendComponent([]byte{prefixBackfill, backfillExtremityTag}, roomID)
}

func backwardExtremityKey(roomID, eventID string) []byte {
	return appendComponent(backwardExtremitiesPrefix(roomID), eventID)
}

// BackfillState says whether a room's backward extremities are known.
// Rooms stored before backfill existed have none; the room actor computes
// them once and then keeps them up to date.
type BackfillState struct {
	Initialised bool `json:"init"`
}

// BackwardExtremity is an event of a room's timeline whose prev_events this
// server does not hold in the timeline: the history before it is missing.
// Missing lists those prev_events (what /backfill is asked for).
type BackwardExtremity struct {
	EventID string   `json:"-"`
	Depth   int64    `json:"d"`
	Stream  uint64   `json:"s"`
	Missing []string `json:"m"`
}

// Topo is the extremity's position in the room's topological order.
func (x BackwardExtremity) Topo() Topo { return Topo{Depth: x.Depth, Stream: x.Stream} }

// BackfillState reads a room's backfill state; a room never looked at
// reads as the zero state.
func (s *Store) BackfillState(roomID string) (BackfillState, error) {
	var st BackfillState
	if len(roomID) > maxKeyComponentBytes {
		return st, ErrNotFound
	}
	err := s.getJSON(backfillStateKey(roomID), &st)
	if errors.Is(err, ErrNotFound) {
		return BackfillState{}, nil
	}
	return st, err
}

// BackwardExtremities lists a room's backward extremities.
func (s *Store) BackwardExtremities(roomID string) ([]BackwardExtremity, error) {
	if len(roomID) > maxKeyComponentBytes {
		return nil, ErrNotFound
	}
	p := backwardExtremitiesPrefix(roomID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var out []BackwardExtremity
	for ok := it.First(); ok; ok = it.Next() {
		id, rest, ok := splitComponent(it.Key()[len(p):])
		if !ok || len(rest) != 0 {
			return nil, fmt.Errorf("%w: backward extremity key", ErrCorrupt)
		}
		var x BackwardExtremity
		if err := json.Unmarshal(it.Value(), &x); err != nil {
			return nil, fmt.Errorf("%w: backward extremity: %v", ErrCorrupt, err)
		}
		x.EventID = id
		out = append(out, x)
	}
	return out, it.Error()
}

// PutBackfillState writes a room's backfill state.
func (b *RoomBatch) PutBackfillState(roomID string, st BackfillState) {
	if b.check(roomID) {
		b.setJSON(backfillStateKey(roomID), st)
	}
}

// SetBackwardExtremity records x as a backward extremity of the room.
func (b *RoomBatch) SetBackwardExtremity(roomID string, x BackwardExtremity) {
	if b.check(roomID, x.EventID) {
		b.setJSON(backwardExtremityKey(roomID, x.EventID), x)
	}
}

// DeleteBackwardExtremity forgets a backward extremity whose history is
// now held.
func (b *RoomBatch) DeleteBackwardExtremity(roomID, eventID string) {
	if b.check(roomID, eventID) {
		b.delete(backwardExtremityKey(roomID, eventID))
	}
}

// PutBackfilled stores an event fetched with /backfill into its room's
// topological order: its record (an outlier's record is rewritten in
// place, without the outlier flag, when e carries the outlier's NID from
// TimelineNID), its ID, its global stream row and its topological row,
// but no row in the room's stream, so that no /sync shows it. e.Stream
// must come from NextStream.
func (b *RoomBatch) PutBackfilled(e StoredEvent) { b.putOrdered(e) }

// InTimeline reports whether a stored event has its place in its room's
// topological order (an outlier, or an event only known by ID, has not).
func (s *Store) InTimeline(e StoredEvent) (bool, error) {
	nid, err := s.getU64(topoKey(e.RoomID, e.Topo()))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && nid == e.NID, err
}

func pendingRedactionsPrefix(roomID, targetID string) []byte {
	return appendComponent(appendComponent([]byte{prefixBackfill, pendingRedactionTag}, roomID), targetID)
}

// PutPendingRedaction remembers an accepted redaction of an event the
// room does not hold, so that it applies once the event is backfilled.
func (b *RoomBatch) PutPendingRedaction(roomID, targetID, redactionID string) {
	if b.check(roomID, targetID, redactionID) {
		b.set(appendComponent(pendingRedactionsPrefix(roomID, targetID), redactionID), nil)
	}
}

// DeletePendingRedaction forgets a pending redaction once applied.
func (b *RoomBatch) DeletePendingRedaction(roomID, targetID, redactionID string) {
	if b.check(roomID, targetID, redactionID) {
		b.delete(appendComponent(pendingRedactionsPrefix(roomID, targetID), redactionID))
	}
}

// PendingRedactions lists the IDs of the accepted redactions of targetID
// that arrived before it.
func (s *Store) PendingRedactions(roomID, targetID string) ([]string, error) {
	if len(roomID) > maxKeyComponentBytes || len(targetID) > maxKeyComponentBytes {
		return nil, nil
	}
	p := pendingRedactionsPrefix(roomID, targetID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		id, rest, ok := splitComponent(it.Key()[len(p):])
		if !ok || len(rest) != 0 {
			return nil, fmt.Errorf("%w: pending redaction key", ErrCorrupt)
		}
		out = append(out, id)
	}
	return out, it.Error()
}
