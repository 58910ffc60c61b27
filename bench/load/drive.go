package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/axonhs/axon/bench/internal/pace"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/internal/procwatch"
	"github.com/axonhs/axon/bench/internal/seqlog"
	"github.com/axonhs/axon/bench/report"
)

// drive runs the timed phase, the drain and the delivery check, and fills
// sum.
func (r *runner) drive(ctx context.Context, srv *procwatch.Watch, sum *report.Summary, out io.Writer) (*report.Summary, error) {
	o := r.o
	if srv != nil {
		if err := srv.Begin(); err != nil {
			return sum, err
		}
	}
	tallies := make([]tally, len(r.w.syncers))
	var syncWG, workWG sync.WaitGroup
	for i, sy := range r.w.syncers {
		syncWG.Add(1)
		go func() { defer syncWG.Done(); r.syncLoop(sy, &tallies[i]) }()
	}
	if srv != nil {
		go srv.Loop(r.rec, r.stopCh, r.halt.Abort)
	}
	go r.watch(ctx)
	self0 := proc.SelfCPU()
	var tickets <-chan struct{}
	if o.rate > 0 {
		tickets = pace.Pacer{Rate: func() float64 { return o.rate }, CatchUp: true, Behind: &r.behind}.Start(o.concurrency, r.sendStop)
	}
	for i := range o.concurrency {
		workWG.Add(1)
		go func() { defer workWG.Done(); r.worker(i, tickets) }()
	}
	progress := report.StartProgress(out, o.Progress, r.progressLine)

	timer := time.NewTimer(o.duration)
	select {
	case <-timer.C:
	case <-r.halt.Done():
		timer.Stop()
	}
	close(r.sendStop)
	workWG.Wait()
	sendWall := r.rec.Elapsed()
	selfCPU := proc.SelfCPU() - self0
	if srv != nil {
		srv.Stop()
	}
	progress.Stop()
	if r.halt.Err() == nil {
		r.stopTyping()
	}
	r.drain(out)
	r.stopping.Store(true)
	close(r.stopCh)
	r.syncs.Close()
	syncWG.Wait()

	r.rec.Fill(sum)
	sum.Seconds = sendWall.Seconds() // rates are over the sending phase
	var ops, okOps int64
	for k, s := range r.opSeries {
		if s == nil {
			continue
		}
		st := s.Stats()
		ops += int64(st.Count + st.Failed)
		okOps += int64(st.Count)
		sum.Counts[kind(k).String()+" ok"] = int64(st.Count)
		sum.Counts[kind(k).String()+" failed"] = int64(st.Failed)
	}
	maps.Copy(sum.Errors, r.health.Errors())
	v := r.verify(tallies)
	sum.Counts["deliveries expected"] = v.expected
	sum.Counts["deliveries"] = v.delivered
	sum.Counts["deliveries lost"] = v.lost
	sum.Counts["deliveries duplicated"] = v.duplicates
	sum.Counts["timeline gaps"] = v.gaps
	sum.Counts["messages seen in rooms joined during the run (not checked)"] = v.unexpected
	sum.Counts["sync polls"] = v.polls
	sum.Counts["operations skipped"] = r.skipped.Load()
	if o.rate > 0 {
		sum.Counts["tickets behind schedule"] = r.behind.Load()
	}
	sum.Notes = append(sum.Notes,
		fmt.Sprintf("sending phase %.1f s, %d operations (%.0f/s); load generator CPU %.0f µs per operation; machine load average %s at the end",
			sendWall.Seconds(), ops, float64(ops)/sendWall.Seconds(), float64(selfCPU.Microseconds())/float64(max(ops, 1)), proc.LoadAverage()),
		"delivery latency runs from the start of a message's send request until the message appears in a syncing member's /sync",
	)
	if srv != nil {
		sum.Server = srv.Summary(sendWall, ops, "operation")
	}
	writeText(out, sum)

	switch {
	case r.halt.Err() != nil:
		return sum, r.halt.Err()
	case ops > 0 && okOps == 0:
		return sum, fmt.Errorf("%w: %d operations failed", ErrNothingWorked, ops)
	case v.lost > 0 || v.duplicates > 0:
		return sum, fmt.Errorf("%w: %d of %d deliveries lost, %d duplicated (%d limited timelines)", ErrDelivery, v.lost, v.expected, v.duplicates, v.gaps)
	}
	return sum, nil
}

// verdict is the delivery check's result.
type verdict struct {
	expected, delivered, lost, duplicates, gaps, unexpected, polls int64
}

// verify checks, after the syncers stopped, that every message sent with a
// 200 reached every syncer watching its room exactly once.
func (r *runner) verify(tallies []tally) verdict {
	var v verdict
	for i, sy := range r.w.syncers {
		t := &tallies[i]
		v.duplicates += t.duplicates
		v.gaps += t.gaps
		v.unexpected += t.unexpected
		v.polls += t.polls
		for seq := range r.ledger.len() {
			e := r.ledger.get(seq)
			if !sy.expects[e.room.Load()] {
				continue
			}
			n := t.seen[seq]
			if n > 0 {
				v.delivered++
			}
			if e.state.Load() != seqlog.Sent {
				continue
			}
			v.expected++
			if n == 0 {
				v.lost++
			}
		}
	}
	return v
}

// writeText prints the summary for people.
func writeText(out io.Writer, s *report.Summary) {
	report.WriteLatencyText(out, s, 10)
	for _, k := range []string{"deliveries expected", "deliveries", "deliveries lost", "deliveries duplicated", "timeline gaps"} {
		fmt.Fprintf(out, "%s %d  ", k, s.Counts[k])
	}
	fmt.Fprintln(out)
	report.WriteTailText(out, s, 0)
}
