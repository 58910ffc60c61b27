package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/abort"
	"github.com/axonhs/axon/bench/internal/liveness"
	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/pace"
	"github.com/axonhs/axon/bench/report"
)

var (
	// ErrTargetDown is a target that stopped answering during the run.
	ErrTargetDown = errors.New("load: the homeserver stopped answering")
	// ErrDelivery is a run where a message was lost or delivered twice.
	ErrDelivery = errors.New("load: delivery check failed")
	// ErrNothingWorked is a run in which no operation succeeded.
	ErrNothingWorked = errors.New("load: no operation succeeded")
	// ErrTargetExited is a -pid whose process went away during the run.
	ErrTargetExited = errors.New("load: the homeserver process exited")
	// ErrInterrupted is a run stopped early by its context (Ctrl-C).
	ErrInterrupted = errors.New("load: interrupted")
)

// runner is one timed run: the set-up world, the clients, what is being
// counted, and the stop signals.
type runner struct {
	o      *options
	c      *mx.Client // operations
	syncs  *mx.Client // parked /sync requests, closed to cut them at the end
	w      *world
	runID  string
	ledger *ledger
	rec    *report.Recorder

	opSeries       [numKinds]*report.Series
	syncSeries     *report.Series
	deliverySeries *report.Series
	perSyncer      *report.Group
	lastEvent      []atomic.Pointer[string] // per room, for receipts

	typedMu sync.Mutex
	typed   map[[2]int]bool // (room, user) pairs with a typing notice set

	churnMu     sync.Mutex
	churnJoined map[[2]int]bool
	churnBusy   map[[2]int]bool

	// health counts the failures; only a success is a sign of life.
	health *liveness.Tally

	txn, skipped, behind, duplicates atomic.Int64

	sendStop chan struct{} // closed when the operations stop
	stopCh   chan struct{} // closed when the syncers stop
	stopping atomic.Bool
	halt     *abort.Signal
}

func (r *runner) alive() { r.health.Answered() }

// fail counts a failed request against s and by its errcode.
func (r *runner) fail(s *report.Series, err error) {
	s.Fail()
	r.health.Fail(err)
}

// worker performs operations until the sending stops: as fast as it can
// when tickets is nil, else one per ticket.
func (r *runner) worker(id int, tickets <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)))
	total := r.o.mix.total()
	for pace.Next(tickets, r.sendStop) {
		if err := r.perform(r.o.mix.pick(rng.IntN(total)), rng); err != nil {
			r.pauseUntil(err, r.sendStop)
		}
	}
}

// watch aborts the run when the target has answered nothing but transport
// errors for o.GiveUp, or ctx ends.
func (r *runner) watch(ctx context.Context) {
	var silence *liveness.Silence
	switch err := r.health.Watch(ctx, r.stopCh, r.o.GiveUp); {
	case errors.As(err, &silence):
		r.halt.Abort(fmt.Errorf("%w: no successful answer for %s; last error: %s", ErrTargetDown, silence.For, silence.Last))
	case err != nil:
		r.halt.Abort(ErrInterrupted)
	}
}

// pauseUntil is pause, cut short when done closes.
func (r *runner) pauseUntil(err error, done <-chan struct{}) {
	var me *mx.Error
	d := time.Duration(0)
	switch {
	case errors.As(err, &me) && errors.Is(err, mx.ErrRateLimited):
		d = me.RetryAfter(time.Second)
	case errors.Is(err, mx.ErrTransport):
		d = 100 * time.Millisecond
	}
	if d == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
	}
}

// progressLine is the live status.
func (r *runner) progressLine() string {
	send := r.opSeries[opMessage].Stats()
	del := r.deliverySeries.Stats()
	return fmt.Sprintf("%6.1fs/%s  sends %6.0f/s  send p99 %s  delivery p99 %s  errors %d",
		r.rec.Elapsed().Seconds(), r.o.duration, r.opSeries[opMessage].Rate(), report.Ms(send.P99), report.Ms(del.P99), r.health.Failures())
}

// drain waits until every message sent successfully has reached every
// syncer expecting it, or o.drain has passed, or the run aborts.
func (r *runner) drain(log io.Writer) {
	if len(r.w.syncers) == 0 {
		return
	}
	want := make([]int32, len(r.w.rooms))
	for _, sy := range r.w.syncers {
		for ri, ok := range sy.expects {
			if ok {
				want[ri]++
			}
		}
	}
	deadline := time.Now().Add(r.o.drain)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		n := r.ledger.outstanding(want)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(log, "drain: %d deliveries still missing after %s\n", n, r.o.drain)
			return
		}
		select {
		case <-t.C:
		case <-r.halt.Done():
			return
		}
	}
}

// pause is pauseUntil the syncers stop.
func (r *runner) pause(err error) { r.pauseUntil(err, r.stopCh) }
