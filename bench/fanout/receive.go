package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/version"
)

// destination is what one synthetic server received.
type destination struct {
	name string
	mu   sync.Mutex
	// order holds the message numbers in the order they first arrived.
	order      []int32
	duplicates atomic.Int64
	txns       atomic.Int64
}

// receiver takes the transactions of every synthetic server (the hub's
// Receiver): it finds this run's messages in the body by their marker
// without decoding the JSON (the fake servers share the CPU with the
// target), records first arrivals and duplicates, and the latency of every
// arrival whose send has been answered.
type receiver struct {
	l      *ledger
	marker []byte // "fanout <run> " in a message body
	dests  []destination
	index  map[string]int

	// delivery is the series arrivals are recorded in: the single-message
	// probes' first, then the timed phase's.
	delivery atomic.Pointer[report.Series]
	txn      *report.Series // per transaction: the age of its oldest message
	perDest  *report.Group
	window   *window

	pdus, txns, unknown, verified, foreign atomic.Int64
	lastArrival                            atomic.Int64 // ns since the ledger's epoch

	checks atomic.Pointer[pduChecker] // set once the room's version is known
}

func newReceiver(l *ledger, runID string, f *fleet, rec *report.Recorder, w *window) *receiver {
	r := &receiver{l: l, marker: []byte("fanout " + runID + " "), dests: make([]destination, len(f.peers)), index: f.index,
		txn: rec.Series("transaction"), perDest: rec.Group("delivery latency by destination"), window: w}
	for i, p := range f.peers {
		r.dests[i].name = p.Name
	}
	return r
}

// receive is the fedtest.Receiver.
func (r *receiver) receive(p *fedtest.Peer, _, origin string, body []byte, verified bool) {
	now := r.l.since(time.Now())
	r.txns.Add(1)
	if verified {
		r.verified.Add(1)
	}
	d := &r.dests[p.Index]
	d.txns.Add(1)
	var lat []time.Duration
	oldest := time.Duration(-1)
	n := 0
	for rest := body; ; {
		i := bytes.Index(rest, r.marker)
		if i < 0 {
			break
		}
		rest = rest[i+len(r.marker):]
		seq, k := digits(rest)
		rest = rest[k:]
		if k == 0 {
			continue
		}
		n++
		m := r.l.get(seq)
		if m == nil {
			r.unknown.Add(1)
			continue
		}
		if !m.arrive(p.Index, now) {
			d.duplicates.Add(1)
			continue
		}
		d.mu.Lock()
		d.order = append(d.order, int32(seq))
		d.mu.Unlock()
		if done := m.done.Load(); done != 0 {
			if at, ok := m.claim(p.Index); ok {
				l := time.Duration(max(0, at-done))
				lat = append(lat, l)
				oldest = max(oldest, l)
			}
		}
	}
	r.pdus.Add(int64(n))
	if n == 0 && origin != "" {
		r.foreign.Add(1) // EDUs only, or PDUs not of this run
	}
	r.observe(d.name, lat)
	if oldest >= 0 {
		r.txn.Observe(oldest)
	}
	if ch := r.checks.Load(); ch != nil {
		ch.offer(body)
	}
}

func (r *receiver) observe(dest string, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	r.delivery.Load().ObserveAll(lat)
	r.lastArrival.Store(max(r.lastArrival.Load(), r.l.since(time.Now())))
	r.perDest.ObserveAll(dest, lat)
	r.window.add(lat)
}

// answered records that message seq's send was answered at ns: arrivals
// that came before the answer are recorded now, with latency 0.
func (r *receiver) answered(m *message, ns int64) {
	m.done.Store(ns)
	for i := range r.dests {
		if at, ok := m.claim(i); ok {
			r.observe(r.dests[i].name, []time.Duration{time.Duration(max(0, at-ns))})
		}
	}
}

// digits reads a decimal number at the start of b.
func digits(b []byte) (int64, int) {
	var v int64
	k := 0
	for k < len(b) && k < 18 && b[k] >= '0' && b[k] <= '9' {
		v = v*10 + int64(b[k]-'0')
		k++
	}
	return v, k
}

// window collects the latencies of the current ramp step.
type window struct {
	mu sync.Mutex
	h  report.Histogram
}

func (w *window) add(ds []time.Duration) {
	w.mu.Lock()
	for _, d := range ds {
		w.h.Record(d)
	}
	w.mu.Unlock()
}

// take returns the step's histogram and starts a new one.
func (w *window) take() report.Histogram {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.h
	w.h = report.Histogram{}
	return h
}

// pduChecker verifies the PDUs of a sample of transactions (format,
// signatures of the sending server, content hash: federation.CheckPDU) on
// one goroutine, dropping samples when it falls behind.
type pduChecker struct {
	every int64
	n     atomic.Int64
	in    chan []byte
	keys  *federation.Keyring
	v     version.Spec
	quit  chan struct{}
	done  chan struct{}

	ok, failed, skipped atomic.Int64
	mu                  sync.Mutex
	firstErr            error
}

func newPDUChecker(every int, keys *federation.Keyring, v version.Spec) *pduChecker {
	c := &pduChecker{every: int64(every), in: make(chan []byte, 8), keys: keys, v: v, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

func (c *pduChecker) offer(body []byte) {
	if c.n.Add(1)%c.every != 1 && c.every > 1 {
		return
	}
	select {
	case c.in <- bytes.Clone(body):
	default:
		c.skipped.Add(1)
	}
}

func (c *pduChecker) loop() {
	defer close(c.done)
	for {
		select {
		case body := <-c.in:
			c.check(body)
		case <-c.quit:
			for {
				select {
				case body := <-c.in:
					c.check(body)
				default:
					return
				}
			}
		}
	}
}

func (c *pduChecker) check(body []byte) {
	t, err := federation.ParseTransaction(body)
	if err != nil {
		c.fail(fmt.Errorf("a sampled transaction does not parse: %w", err))
		return
	}
	for _, raw := range t.PDUs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cp, err := federation.CheckPDU(ctx, c.keys, raw, c.v)
		cancel()
		switch {
		case err != nil:
			c.fail(err)
		case cp.Redacted:
			c.fail(fmt.Errorf("PDU %s: content hash mismatch", cp.Event.ID))
		default:
			c.ok.Add(1)
		}
	}
}

func (c *pduChecker) fail(err error) {
	c.failed.Add(1)
	c.mu.Lock()
	if c.firstErr == nil {
		c.firstErr = err
	}
	c.mu.Unlock()
}

// stop checks the queued samples and ends the checker; later offers are
// dropped.
func (c *pduChecker) stop() error {
	close(c.quit)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstErr
}
