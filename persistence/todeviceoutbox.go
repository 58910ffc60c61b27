package persistence

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// The to-device outbox: the m.direct_to_device EDUs this server owes other
// servers, one row per (destination, EDU), written before the sender's
// /sendToDevice is answered and deleted by the destination's server actor
// (actors/server) once a transaction holding the EDU has been answered
// (server-server-api "Send-to-device messaging": a message acknowledged
// to its sender is delivered, so it outlives a restart and is never shed
// like the ephemeral EDUs):
//
//	V | lp(destination) | seq → the EDU's content (JSON)
//
// seq orders a destination's rows. Seqs are allocated under a lock and the
// rows committed outside it, so concurrent senders share fsyncs; a
// reader that must not step past a row still committing asks
// ToDeviceVisible first.
const prefixToDeviceOutbox byte = 'V'

// ToDeviceRow is one m.direct_to_device EDU waiting for a destination.
type ToDeviceRow struct {
	Seq     uint64
	Content json.RawMessage
}

// QueuedToDevice is an EDU to queue: its destination and content.
type QueuedToDevice struct {
	Destination string
	Content     json.RawMessage
}

// toDeviceSeq allocates the rows' seqs: past the last one given and at
// least the clock in nanoseconds, so that seqs of a later run follow the
// rows an earlier one left (unless the clock went back, which reorders
// but loses nothing: every read after a restart starts at the front).
// inFlight counts the batches allocated and not yet committed (or
// failed) by their first seq.
var toDeviceSeq struct {
	mu       sync.Mutex
	last     uint64
	inFlight map[uint64]int
}

// ToDeviceVisible is a seq below which every to-device row allocated in
// this process is committed or abandoned: a read that starts under it
// finds every row below it.
func ToDeviceVisible() uint64 {
	toDeviceSeq.mu.Lock()
	defer toDeviceSeq.mu.Unlock()
	v := toDeviceSeq.last + 1
	for first := range toDeviceSeq.inFlight {
		v = min(v, first)
	}
	return v
}

func toDeviceOutboxPrefix(destination string) []byte {
	return appendComponent([]byte{prefixToDeviceOutbox}, destination)
}

func toDeviceOutboxKey(destination string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(toDeviceOutboxPrefix(destination), seq)
}

// QueueToDevice durably queues edus (fsync before it returns), all or
// none, and returns their seqs in order.
func (s *Store) QueueToDevice(edus []QueuedToDevice, nowNanos uint64) ([]uint64, error) {
	if len(edus) == 0 {
		return nil, nil
	}
	b := s.NewBatch()
	for _, e := range edus {
		b.check(e.Destination)
	}
	if b.err != nil {
		b.Close()
		return nil, b.err
	}
	toDeviceSeq.mu.Lock()
	first := max(toDeviceSeq.last+1, nowNanos)
	toDeviceSeq.last = first + uint64(len(edus)) - 1
	if toDeviceSeq.inFlight == nil {
		toDeviceSeq.inFlight = map[uint64]int{}
	}
	toDeviceSeq.inFlight[first]++
	toDeviceSeq.mu.Unlock()
	defer func() {
		toDeviceSeq.mu.Lock()
		if toDeviceSeq.inFlight[first]--; toDeviceSeq.inFlight[first] == 0 {
			delete(toDeviceSeq.inFlight, first)
		}
		toDeviceSeq.mu.Unlock()
	}()
	seqs := make([]uint64, len(edus))
	for i, e := range edus {
		seqs[i] = first + uint64(i)
		b.set(toDeviceOutboxKey(e.Destination, seqs[i]), e.Content)
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("persistence: queueing to-device EDUs: %w", err)
	}
	return seqs, nil
}

// ToDeviceOutbox returns up to limit of destination's queued to-device
// EDUs with a seq ≥ from, oldest first.
func (s *Store) ToDeviceOutbox(destination string, from uint64, limit int) ([]ToDeviceRow, error) {
	p := toDeviceOutboxPrefix(destination)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: toDeviceOutboxKey(destination, from), UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: to-device outbox: %w", err)
	}
	defer it.Close()
	var out []ToDeviceRow
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) != len(p)+8 {
			return nil, fmt.Errorf("%w: to-device outbox row %x", ErrCorrupt, k)
		}
		out = append(out, ToDeviceRow{Seq: binary.BigEndian.Uint64(k[len(p):]), Content: append(json.RawMessage(nil), it.Value()...)})
	}
	return out, it.Error()
}

// ToDeviceOutboxDestinations lists the destinations with at least one
// queued to-device EDU, so that their server actors start after a
// restart.
func (s *Store) ToDeviceOutboxDestinations() ([]string, error) {
	lo := []byte{prefixToDeviceOutbox}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, fmt.Errorf("persistence: to-device outbox destinations: %w", err)
	}
	defer it.Close()
	var out []string
	for ok := it.First(); ok; {
		dest, _, okc := splitComponent(it.Key()[1:])
		if !okc {
			return nil, fmt.Errorf("%w: to-device outbox key %x", ErrCorrupt, it.Key())
		}
		out = append(out, dest)
		ok = it.SeekGE(prefixEnd(toDeviceOutboxPrefix(dest)))
	}
	return out, it.Error()
}
