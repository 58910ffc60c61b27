package main

import (
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/seqlog"
)

// observedBit marks an arrival whose latency has been recorded: the
// receiver and the sender race to record it, and the one that sets the bit
// does.
const observedBit = 1

// message is one message sent: when its send started and was answered (ns
// since the ledger's epoch), how the send ended, and when it first reached
// each destination: (µs since the epoch + 1) << 1 | observedBit, 0 for not
// yet.
type message struct {
	start, done atomic.Int64
	state       atomic.Int32
	arrivals    []atomic.Uint32
}

// ledger numbers every message the run sends (the number is in its body)
// and holds its arrivals at every destination.
type ledger struct {
	epoch time.Time
	log   *seqlog.Log[message]
}

func newLedger(epoch time.Time, dests int) *ledger {
	// One slab of arrival cells per chunk of messages.
	slab := func(chunk []message) {
		cells := make([]atomic.Uint32, len(chunk)*dests)
		for i := range chunk {
			chunk[i].arrivals = cells[i*dests : (i+1)*dests : (i+1)*dests]
		}
	}
	return &ledger{epoch: epoch, log: seqlog.New(1024, slab)}
}

// add records a message about to be sent and returns its number.
func (l *ledger) add(start time.Time) int64 {
	seq, m := l.log.Add()
	m.start.Store(int64(start.Sub(l.epoch)))
	return seq
}

// get is the message numbered seq, or nil for a number never handed out.
func (l *ledger) get(seq int64) *message { return l.log.Get(seq) }

func (l *ledger) len() int64 { return l.log.Len() }

// since is t as the ledger's nanoseconds.
func (l *ledger) since(t time.Time) int64 { return int64(t.Sub(l.epoch)) }

// cell encodes an arrival at ns since the epoch.
func cell(ns int64) uint32 { return uint32(ns/1000+1) << 1 }

// cellNS decodes a cell's arrival time.
func cellNS(c uint32) int64 { return (int64(c>>1) - 1) * 1000 }

// arrive records m's arrival at dest at ns; false means it had arrived
// before (a duplicate).
func (m *message) arrive(dest int, ns int64) bool {
	return m.arrivals[dest].CompareAndSwap(0, cell(ns))
}

// claim marks dest's arrival of m observed; true for the one caller that
// should record its latency.
func (m *message) claim(dest int) (arrivedNS int64, ok bool) {
	a := &m.arrivals[dest]
	for {
		c := a.Load()
		if c == 0 || c&observedBit != 0 {
			return 0, false
		}
		if a.CompareAndSwap(c, c|observedBit) {
			return cellNS(c), true
		}
	}
}
