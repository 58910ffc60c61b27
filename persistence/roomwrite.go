package persistence

import (
	"github.com/axonhs/axon/rooms/event"
)

// RoomBatch is a Batch of one room actor's flush: the events of several
// coalesced proposals with their indexes, state, extremities, memberships,
// relations and transaction records, committed as one. It hands out the
// numeric IDs and stream positions of the events it writes; whether the
// commit succeeds or fails, its stream positions are settled when it ends so
// the watermark moves past them (a failed batch leaves a gap, never a stall).
type RoomBatch struct {
	Batch
	store     *Store
	seq       *roomSequences
	positions []uint64
	ended     bool
}

// NewRoomBatch starts an empty room batch.
func (s *Store) NewRoomBatch() (*RoomBatch, error) {
	seq, err := s.sequences()
	if err != nil {
		return nil, err
	}
	return &RoomBatch{Batch: Batch{b: s.db.NewBatch()}, store: s, seq: seq}, nil
}

// NextNID hands out a new event numeric ID.
func (b *RoomBatch) NextNID() uint64 { return b.seq.nid.next() }

// NextStateGroup hands out a new state group ID.
func (b *RoomBatch) NextStateGroup() uint64 { return b.seq.group.next() }

// NextStream hands out the next global stream position; it becomes visible
// once this batch and every batch holding a lower position have ended.
func (b *RoomBatch) NextStream() uint64 {
	p := b.seq.stream.allocate()
	b.positions = append(b.positions, p)
	return p
}

// PutRoom writes a room's record.
func (b *RoomBatch) PutRoom(roomID string, info RoomInfo) {
	if b.check(roomID) {
		b.setJSON(roomKey(roomID), info)
	}
}

// PutEvent stores a timeline event and indexes it by ID, in the global
// stream, and in its room's topological and stream orderings. To move an
// outlier into the timeline ("de-outlier" it), give e the outlier's NID
// (TimelineNID hands it out): the record is rewritten without the outlier
// flag and gains the ordering indexes, and state groups naming the NID stay
// right.
func (b *RoomBatch) PutEvent(e StoredEvent) {
	if b.putOrdered(e) {
		b.set(roomStreamKey(e.RoomID, e.Stream), appendU64(nil, e.NID))
	}
}

// putOrdered writes what a timeline event and a backfilled one share: the
// record without the outlier flag, the ID index, the global stream row
// and the topological row. It reports false for a refused key.
func (b *RoomBatch) putOrdered(e StoredEvent) bool {
	if !b.check(e.RoomID, e.EventID) {
		return false
	}
	e.Outlier = false
	nid := appendU64(nil, e.NID)
	b.set(eventKey(e.NID), encodeEvent(e))
	b.set(eventIDKey(e.EventID), nid)
	b.set(streamKey(e.Stream), nid)
	b.set(topoKey(e.RoomID, e.Topo()), nid)
	return true
}

// RewriteEvent replaces a stored event's record (its redacted form); the
// indexes stay as they are.
func (b *RoomBatch) RewriteEvent(e StoredEvent) {
	b.set(eventKey(e.NID), encodeEvent(e))
}

// SetCurrentState points a current-state slot at an event, or empties it
// when nid is 0.
func (b *RoomBatch) SetCurrentState(roomID string, k event.StateKey, nid uint64) {
	if !b.check(roomID, k.Type, k.StateKey) {
		return
	}
	key := currentStateKey(roomID, k.Type, k.StateKey)
	if nid == 0 {
		b.delete(key)
		return
	}
	b.set(key, appendU64(nil, nid))
}

// PutStateGroup writes a state group.
func (b *RoomBatch) PutStateGroup(id uint64, g StateGroup) { b.setJSON(stateGroupKey(id), g) }

// SetExtremity adds (nid ≠ 0) or removes (nid = 0) a forward extremity.
func (b *RoomBatch) SetExtremity(roomID, eventID string, nid uint64) {
	if !b.check(roomID, eventID) {
		return
	}
	if nid == 0 {
		b.delete(extremityKey(roomID, eventID))
		return
	}
	b.set(extremityKey(roomID, eventID), appendU64(nil, nid))
}

// PutTxn records a client transaction ID.
func (b *RoomBatch) PutTxn(userID, deviceID, txnID string, r TxnRecord) {
	if b.check(userID, deviceID, txnID) {
		b.setJSON(txnKey(userID, deviceID, txnID), r)
	}
}

// PutMembership records userID's membership in a room.
func (b *RoomBatch) PutMembership(userID string, m UserMembership) {
	if b.check(userID, m.RoomID) {
		b.set(userRoomKey(userID, m.RoomID), encodeMembership(m))
	}
}

// PutRelation indexes child (at stream position pos) under its parent.
func (b *RoomBatch) PutRelation(parentID, relType string, pos, childNID uint64) {
	if b.check(parentID, relType) {
		b.set(relationKey(parentID, relType, pos), appendU64(nil, childNID))
	}
}

// Commit writes the batch durably (fsync) and settles its stream positions.
func (b *RoomBatch) Commit() error {
	defer b.end()
	return b.Batch.Commit()
}

// Close discards an uncommitted batch and settles its stream positions.
func (b *RoomBatch) Close() {
	if b.ended {
		return
	}
	b.Batch.Close()
	b.end()
}

func (b *RoomBatch) end() {
	if b.ended {
		return
	}
	b.ended = true
	b.seq.stream.settle(b.positions)
}
