package main

import (
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/seqlog"
)

// entry is one message sent: its room, when its send request started, how
// the send ended, and how many expected syncers have seen it.
type entry struct {
	room      atomic.Int32
	start     atomic.Int64 // nanoseconds since the ledger's epoch
	state     atomic.Int32
	delivered atomic.Int32
}

// ledger numbers every message the run sends (the sequence number is the
// nonce's second half) so that syncers can find its send time and the
// check at the end can find what was lost or duplicated.
type ledger struct {
	epoch time.Time
	log   *seqlog.Log[entry]
}

func newLedger(epoch time.Time) *ledger {
	return &ledger{epoch: epoch, log: seqlog.New[entry](4096, nil)}
}

// add records a message about to be sent into room and returns its
// sequence number.
func (l *ledger) add(room int, start time.Time) int64 {
	seq, e := l.log.Add()
	e.room.Store(int32(room))
	e.start.Store(int64(start.Sub(l.epoch)))
	return seq
}

// get is the entry of seq, or nil for a number never handed out.
func (l *ledger) get(seq int64) *entry { return l.log.Get(seq) }

// len is the number of messages handed out.
func (l *ledger) len() int64 { return l.log.Len() }

// sentAt is when seq's send request started.
func (l *ledger) sentAt(e *entry) time.Time { return l.epoch.Add(time.Duration(e.start.Load())) }

// outstanding counts the deliveries still missing: for every message sent
// successfully, the expected syncers (want[room]) that have not seen it.
func (l *ledger) outstanding(want []int32) int64 {
	var n int64
	for seq := range l.len() {
		e := l.get(seq)
		if e.state.Load() == seqlog.Sent {
			n += int64(max(0, want[e.room.Load()]-e.delivered.Load()))
		}
	}
	return n
}
