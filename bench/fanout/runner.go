package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/abort"
	"github.com/axonhs/axon/bench/internal/liveness"
	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/pace"
	"github.com/axonhs/axon/bench/internal/seqlog"
	"github.com/axonhs/axon/bench/report"
)

var (
	// ErrTargetDown is a target that stopped answering during the run.
	ErrTargetDown = errors.New("fanout: the homeserver stopped answering")
	// ErrDelivery is a run where a message was lost, duplicated or
	// reordered, or a sampled signature did not verify.
	ErrDelivery = errors.New("fanout: delivery check failed")
	// ErrNothingSent is a run in which no message was accepted.
	ErrNothingSent = errors.New("fanout: no message was accepted")
	// ErrTargetExited is a -pid whose process went away during the run.
	ErrTargetExited = errors.New("fanout: the homeserver process exited")
	// ErrInterrupted is a run stopped early by its context (Ctrl-C).
	ErrInterrupted = errors.New("fanout: interrupted")
)

// runner is the timed phase: senders, pacing, the down-servers schedule,
// the ramp controller and the watch on the target.
type runner struct {
	o     *options
	c     *mx.Client
	w     *world
	f     *fleet
	l     *ledger
	recv  *receiver
	rec   *report.Recorder
	runID string
	path  string // the send URL's prefix

	send *report.Series
	// sendWindow holds the send latencies of the current ramp step.
	sendWindow window
	// The receiver's counts and the first message number when the timed
	// phase began: its figures exclude the joins and the single messages.
	txns0, pdus0, firstTimed int64
	rateBits                 atomic.Uint64 // current messages/s (float64 bits); 0: as fast as possible
	behind                   atomic.Int64

	// health counts the failures; any HTTP answer is a sign of life.
	health *liveness.Tally

	sendStop chan struct{}
	halt     *abort.Signal

	downMu  sync.Mutex
	downLog []string
	steps   []rampStep
}

func (r *runner) rate() float64     { return math.Float64frombits(r.rateBits.Load()) }
func (r *runner) setRate(v float64) { r.rateBits.Store(math.Float64bits(v)) }

// sendOne sends one message from u and records it; rate-limited sends are
// retried under the same transaction ID (idempotent) until the sending
// stops.
func (r *runner) sendOne(u user) {
	start := time.Now()
	seq := r.l.add(start)
	m := r.l.get(seq)
	body := []byte(`{"msgtype":"m.text","body":"fanout ` + r.runID + " " + strconv.FormatInt(seq, 10) + `"}`)
	path := r.path + url.PathEscape(r.runID+"-"+strconv.FormatInt(seq, 10))
	for {
		var out struct {
			EventID string `json:"event_id"`
		}
		err := r.c.Do("PUT", path, u.token, body, &out)
		now := time.Now()
		if err == nil {
			r.health.Answered()
			m.state.Store(seqlog.Sent)
			r.recv.answered(m, r.l.since(now))
			r.send.Observe(now.Sub(start))
			r.sendWindow.add([]time.Duration{now.Sub(start)})
			return
		}
		transport := r.health.Fail(err) == "transport"
		if !transport {
			r.health.Answered()
		}
		var me *mx.Error
		if errors.As(err, &me) && errors.Is(err, mx.ErrRateLimited) {
			if !r.sleep(me.RetryAfter(time.Second)) {
				m.state.Store(seqlog.Failed)
				r.send.Fail()
				return
			}
			continue
		}
		if transport {
			r.sleep(100 * time.Millisecond)
		}
		m.state.Store(seqlog.Failed)
		r.send.Fail()
		return
	}
}

// sleep waits d or until the sending stops; false when it stopped.
func (r *runner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.sendStop:
		return false
	}
}

// sender sends as user u until the sending stops: one message per ticket
// when paced, else back to back.
func (r *runner) sender(u user, tickets <-chan struct{}) {
	for pace.Next(tickets, r.sendStop) {
		r.sendOne(u)
	}
}

// watch aborts the run when the target answered nothing but transport
// errors for o.GiveUp, or ctx ends.
func (r *runner) watch(ctx context.Context, done <-chan struct{}) {
	var silence *liveness.Silence
	switch err := r.health.Watch(ctx, done, r.o.GiveUp); {
	case errors.As(err, &silence):
		r.halt.Abort(fmt.Errorf("%w: no answer for %s; last error: %s", ErrTargetDown, silence.For, silence.Last))
	case err != nil:
		r.halt.Abort(ErrInterrupted)
	}
}

// outstanding counts the deliveries still missing of messages answered
// 200, and of those the ones answered before cutoff (ns since the epoch).
func (r *runner) outstanding(cutoff int64) (all, late int64) {
	for seq := range r.l.len() {
		m := r.l.get(seq)
		if m.state.Load() != seqlog.Sent {
			continue
		}
		done := m.done.Load()
		for d := range m.arrivals {
			if m.arrivals[d].Load() == 0 {
				all++
				if done < cutoff {
					late++
				}
			}
		}
	}
	return all, late
}

// waitDelivered waits until every message answered 200 has reached every
// destination, or timeout passes, or the run aborts; it returns what is
// still missing.
func (r *runner) waitDelivered(timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for {
		n, _ := r.outstanding(0)
		if n == 0 || time.Now().After(deadline) || r.halt.Err() != nil {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// progressLine is the live status.
func (r *runner) progressLine() string {
	del := r.recv.delivery.Load().Stats()
	rate := "max"
	if v := r.rate(); v > 0 {
		rate = strconv.FormatFloat(v, 'f', 0, 64) + "/s"
	}
	return fmt.Sprintf("%6.1fs  target %s  sent %6.1f/s  deliveries %8.0f/s  txns %6d  delivery p99 %s  max %s",
		r.rec.Elapsed().Seconds(), rate, r.send.Rate(), r.recv.delivery.Load().Rate(), r.recv.txns.Load(), report.Ms(del.P99), report.Ms(del.Max))
}
