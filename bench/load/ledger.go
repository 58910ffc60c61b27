package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// Send states of a ledger entry.
const (
	sendPending int32 = iota
	sendOK
	sendFailed
)

// entry is one message sent: its room, when its send request started, how
// the send ended, and how many expected syncers have seen it.
type entry struct {
	room      atomic.Int32
	start     atomic.Int64 // nanoseconds since the ledger's epoch
	state     atomic.Int32
	delivered atomic.Int32
}

const chunkSize = 4096

// ledger numbers every message the run sends (the sequence number is the
// nonce's second half) so that syncers can find its send time and the
// check at the end can find what was lost or duplicated. Entries never
// move: the ledger grows by fixed chunks.
type ledger struct {
	epoch  time.Time
	next   atomic.Int64
	mu     sync.RWMutex
	chunks []*[chunkSize]entry
}

func newLedger(epoch time.Time) *ledger { return &ledger{epoch: epoch} }

// add records a message about to be sent into room and returns its
// sequence number.
func (l *ledger) add(room int, start time.Time) int64 {
	seq := l.next.Add(1) - 1
	c := int(seq / chunkSize)
	l.mu.Lock()
	for len(l.chunks) <= c {
		l.chunks = append(l.chunks, new([chunkSize]entry))
	}
	e := &l.chunks[c][seq%chunkSize]
	l.mu.Unlock()
	e.room.Store(int32(room))
	e.start.Store(int64(start.Sub(l.epoch)))
	return seq
}

// get is the entry of seq, or nil for a number never handed out.
func (l *ledger) get(seq int64) *entry {
	if seq < 0 || seq >= l.next.Load() {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	c := int(seq / chunkSize)
	if c >= len(l.chunks) {
		return nil
	}
	return &l.chunks[c][seq%chunkSize]
}

// len is the number of messages handed out.
func (l *ledger) len() int64 { return l.next.Load() }

// sentAt is when seq's send request started.
func (l *ledger) sentAt(e *entry) time.Time { return l.epoch.Add(time.Duration(e.start.Load())) }

// outstanding counts the deliveries still missing: for every message sent
// successfully, the expected syncers (want[room]) that have not seen it.
func (l *ledger) outstanding(want []int32) int64 {
	var n int64
	for seq := range l.len() {
		e := l.get(seq)
		if e.state.Load() == sendOK {
			n += int64(max(0, want[e.room.Load()]-e.delivered.Load()))
		}
	}
	return n
}
