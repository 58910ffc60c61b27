package persistence

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The federation outbox: one row per (destination, PDU), written by the
// room actor in the same batch as the event (DESIGN.md data path step 4),
// read and deleted by the destination's server actor (actors/server) once
// a transaction holding the PDU has been answered:
//
//	O | lp(destination) | stream → nid
//
// The event's global stream position orders a destination's rows, so a
// destination receives a room's events in the order they were stored.
// Rows of batches that commit late (a lower stream than rows already sent)
// are found by the next read, which always starts at the front.
const prefixOutbox byte = 'O'

// OutboxRow is one PDU waiting for a destination.
type OutboxRow struct {
	Stream uint64
	NID    uint64
}

func outboxPrefix(destination string) []byte {
	return appendComponent([]byte{prefixOutbox}, destination)
}

func outboxKey(destination string, stream uint64) []byte {
	return binary.BigEndian.AppendUint64(outboxPrefix(destination), stream)
}

// PutOutbox queues the event nid (at stream position stream) for
// destination.
func (b *Batch) PutOutbox(destination string, stream, nid uint64) {
	if !b.check(destination) {
		return
	}
	b.set(outboxKey(destination, stream), binary.BigEndian.AppendUint64(nil, nid))
}

// Outbox returns up to limit of destination's queued PDUs, oldest stream
// first.
func (s *Store) Outbox(destination string, limit int) ([]OutboxRow, error) {
	return s.OutboxFrom(destination, 0, limit)
}

// OutboxDestinations lists the destinations with at least one queued PDU,
// so that their server actors can be started after a restart.
func (s *Store) OutboxDestinations() ([]string, error) {
	lo := []byte{prefixOutbox}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, fmt.Errorf("persistence: outbox destinations: %w", err)
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; {
		dest, _, okc := splitComponent(it.Key()[1:])
		if !okc {
			return nil, fmt.Errorf("%w: outbox key %x", ErrCorrupt, it.Key())
		}
		out = append(out, dest)
		ok = it.SeekGE(prefixEnd(outboxPrefix(dest)))
	}
	return out, it.Error()
}

// AckOutbox removes the rows of an answered transaction and records the
// destination's new state, together. It does not wait for fsync: if an
// operating-system crash loses the write, the rows and the recorded
// transaction come back and the same transaction is sent again, which the
// destination answers from its deduplication (or, at worst, receives PDUs
// it already has, which servers drop by event ID). Nothing queued is lost.
func (s *Store) AckOutbox(destination string, streams []uint64, st DestinationState) error {
	b := s.NewBatch()
	for _, pos := range streams {
		b.delete(outboxKey(destination, pos))
	}
	b.PutDestination(destination, st)
	return b.CommitNoSync()
}
