package persistence

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// OutboxFrom is Outbox starting at stream position from: destination's
// queued PDUs with a stream ≥ from, oldest first, at most limit. A server
// actor that knows every row below from has been sent and deleted starts
// there, so that its read seeks past the deletion tombstones of the rows
// already sent instead of stepping over each of them (a destination's
// outbox is a queue: its front is all tombstones until a compaction).
func (s *Store) OutboxFrom(destination string, from uint64, limit int) ([]OutboxRow, error) {
	p := outboxPrefix(destination)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: outboxKey(destination, from), UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: outbox: %w", err)
	}
	defer it.Close()
	var out []OutboxRow
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(p)+8 || len(v) != 8 {
			return nil, fmt.Errorf("%w: outbox row %x", ErrCorrupt, k)
		}
		out = append(out, OutboxRow{Stream: binary.BigEndian.Uint64(k[len(p):]), NID: binary.BigEndian.Uint64(v)})
	}
	return out, it.Error()
}

// OutboxAck is one answered transaction: the rows it carried (PDU
// streams and to-device seqs) and its destination's new state.
type OutboxAck struct {
	Destination string
	Streams     []uint64
	ToDevice    []uint64
	State       DestinationState
}

// AckOutboxes is AckOutbox for many destinations in one batch (one commit
// instead of one per transaction, which under a fan-out to hundreds of
// servers would queue in Pebble's commit pipeline ahead of the room
// batches that answer clients). Like AckOutbox it does not wait for fsync:
// a to-device row whose deletion a crash loses goes again, and the
// receiver drops it by its message_id.
func (s *Store) AckOutboxes(acks []OutboxAck) error {
	b := s.NewBatch()
	for _, a := range acks {
		for _, pos := range a.Streams {
			b.delete(outboxKey(a.Destination, pos))
		}
		for _, seq := range a.ToDevice {
			b.delete(toDeviceOutboxKey(a.Destination, seq))
		}
		b.PutDestination(a.Destination, a.State)
	}
	return b.CommitNoSync()
}
