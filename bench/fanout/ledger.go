package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// Send states of a message.
const (
	sendPending int32 = iota
	sendOK
	sendFailed
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

const chunkSize = 1024

// ledger numbers every message the run sends (the number is in its body)
// and holds its arrivals at every destination. Entries never move.
type ledger struct {
	epoch time.Time
	dests int
	next  atomic.Int64
	mu    sync.RWMutex
	// chunks are allocated whole: one slab of arrival cells per chunk.
	chunks []*[chunkSize]message
}

func newLedger(epoch time.Time, dests int) *ledger { return &ledger{epoch: epoch, dests: dests} }

// add records a message about to be sent and returns its number.
func (l *ledger) add(start time.Time) int64 {
	seq := l.next.Add(1) - 1
	c := int(seq / chunkSize)
	l.mu.Lock()
	for len(l.chunks) <= c {
		ch := new([chunkSize]message)
		cells := make([]atomic.Uint32, chunkSize*l.dests)
		for i := range ch {
			ch[i].arrivals = cells[i*l.dests : (i+1)*l.dests : (i+1)*l.dests]
		}
		l.chunks = append(l.chunks, ch)
	}
	m := &l.chunks[c][seq%chunkSize]
	l.mu.Unlock()
	m.start.Store(int64(start.Sub(l.epoch)))
	return seq
}

// get is the message numbered seq, or nil for a number never handed out.
func (l *ledger) get(seq int64) *message {
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

func (l *ledger) len() int64 { return l.next.Load() }

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
