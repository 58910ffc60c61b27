package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/url"
	"runtime"
	"sync"
	"time"

	"github.com/axonhs/axon/bench/internal/abort"
	"github.com/axonhs/axon/bench/internal/liveness"
	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/pace"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/internal/procwatch"
	"github.com/axonhs/axon/bench/internal/seqlog"
	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/federation"
)

// probes is the number of single messages sent one at a time before the
// timed phase, each waited for at every destination and followed by
// -probe-gap of quiet: the latency of one message into an idle room (and
// the warm-up of every connection).
const probes = 5

// run sets up, drives the traffic, checks deliveries and writes the
// outputs. Whatever happens after the target answered, the JSON and HTML
// files hold what was measured, with the reason in Outcome.
func run(ctx context.Context, o *options, out io.Writer) (sum *report.Summary, err error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	out = &lockedWriter{w: out} // the progress line, the ramp and the down schedule write concurrently
	c, err := mx.New(o.target, o.senders+4, time.Minute)
	if err != nil {
		return nil, fmt.Errorf("%w: -target: %w", ErrOptions, err)
	}
	defer c.Close()
	sum = report.NewSummary("bench/fanout", c.Base(), o.params())
	rec := report.NewRecorder()
	defer func() { err = report.Conclude(rec, sum, err, o.JSONPath, o.HTMLPath) }()
	fmt.Fprintf(out, "target %s, %d synthetic servers, GOMAXPROCS %d, %d CPUs, load average %s\n",
		c.Base(), o.servers, runtime.GOMAXPROCS(0), runtime.NumCPU(), proc.LoadAverage())
	if err := c.CheckHomeserver(); err != nil {
		return sum, err
	}
	var srv *procwatch.Watch
	if o.PID > 0 {
		if srv, err = procwatch.Start(o.PID, ErrTargetExited); err != nil {
			return sum, fmt.Errorf("fanout: -pid %d: %w", o.PID, err)
		}
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	runID := hex.EncodeToString(id)
	f, err := startFleet(o, runID)
	if err != nil {
		return sum, err
	}
	defer f.close()
	if o.names == namesNamed {
		fmt.Fprintf(out, "named servers on %s: the target needs federation_addresses for s0.fanout.test … s%d.fanout.test\n", f.hub.Addr(), o.servers-1)
	}
	if o.caFile != "" {
		fmt.Fprintf(out, "synthetic servers' certificates are issued by the CA in %s (give it to the target as federation_ca_file)\n", o.caFile)
	}

	l := newLedger(rec.Start(), len(f.peers))
	r := &runner{o: o, c: c, f: f, l: l, rec: rec, runID: runID,
		health: liveness.New(), sendStop: make(chan struct{}), halt: abort.New()}
	r.recv = newReceiver(l, runID, f, rec, &window{})
	probeSeries := rec.Series("single message delivery")
	r.recv.delivery.Store(probeSeries)
	r.send = rec.Series("send")
	f.hub.SetReceiver(r.recv.receive)
	defer f.hub.SetReceiver(nil)

	w, err := setUp(ctx, c, o, f, out, func(k string, n int64) { sum.Counts[k] = n })
	if err != nil {
		return sum, err
	}
	r.w = w
	r.path = "/_matrix/client/v3/rooms/" + url.PathEscape(w.roomID) + "/send/m.room.message/"
	sum.Params["room"], sum.Params["room version"] = w.roomID, string(w.version.ID)
	if o.verifyEvery > 0 {
		keys, err := checkerKeyring(o, w, f)
		if err != nil {
			return sum, err
		}
		f.hub.SetKeyring(keys)
		f.hub.SetVerifySample(o.verifyEvery)
		r.recv.checks.Store(newPDUChecker(o.verifyEvery, keys, w.version))
	}
	r.health.Answered()
	done := make(chan struct{})
	go r.watch(ctx, done)
	defer close(done)

	// Single messages into the idle room, each waited for everywhere.
	for i := range probes {
		r.sendOne(w.users[i%len(w.users)])
		if n := r.waitDelivered(30 * time.Second); n > 0 {
			return r.finish(sum, srv, 0, out, fmt.Errorf("%w: single message %d still missing at %d destinations after 30s", ErrDelivery, i, n))
		}
		if err := r.halt.Err(); err != nil {
			return r.finish(sum, srv, 0, out, err)
		}
		time.Sleep(o.probeGap)
	}
	ps := probeSeries.Stats()
	fmt.Fprintf(out, "one message into the room reaches all %d servers: p50 %s, p99 %s, max %s (%d single messages)\n",
		len(f.peers), report.Ms(ps.P50), report.Ms(ps.P99), report.Ms(ps.Max), probes)

	// The timed phase.
	r.recv.delivery.Store(rec.Series("delivery"))
	r.txns0, r.pdus0, r.firstTimed = r.recv.txns.Load(), r.recv.pdus.Load(), l.len()
	if srv != nil {
		if err := srv.Begin(); err != nil {
			return sum, err
		}
		go srv.Loop(rec, done, r.halt.Abort)
	}
	rate := o.rate
	if o.ramp && rate == 0 {
		rate = 10
	}
	r.setRate(rate)
	if o.phaseHook != nil {
		o.phaseHook(true)
	}
	self0 := proc.SelfCPU()
	phaseStart := time.Now()
	var tickets <-chan struct{}
	if rate > 0 {
		tickets = pace.Pacer{Rate: r.rate, Behind: &r.behind}.Start(o.senders, r.sendStop)
	}
	var senders sync.WaitGroup
	for i := range o.senders {
		senders.Add(1)
		go func() { defer senders.Done(); r.sender(w.users[i], tickets) }()
	}
	if o.down > 0 {
		go r.downServers(ctx, out)
	}
	progress := report.StartProgress(out, o.Progress, r.progressLine)
	ceiling := -1.0
	rampDone := make(chan float64, 1)
	if o.ramp {
		go func() { rampDone <- r.ramp(out) }()
	}
	timer := time.NewTimer(o.duration)
	select {
	case <-timer.C:
	case <-r.halt.Done():
	case ceiling = <-rampDone:
	}
	timer.Stop()
	close(r.sendStop)
	senders.Wait()
	if o.ramp && ceiling < 0 {
		ceiling = <-rampDone
	}
	sendWall := time.Since(phaseStart)
	progress.Stop()
	if missing := r.waitDelivered(o.drain); missing > 0 {
		fmt.Fprintf(out, "drain: %d deliveries still missing after %s\n", missing, o.drain)
	}
	if srv != nil {
		srv.Stop()
	}
	if o.phaseHook != nil {
		o.phaseHook(false)
	}
	selfCPU := proc.SelfCPU() - self0
	sum.Notes = append(sum.Notes, fmt.Sprintf("fan-out tool CPU (synthetic servers and clients) %.1f s over the timed phase and drain; load average %s at the end",
		selfCPU.Seconds(), proc.LoadAverage()))
	if o.ramp {
		sum.Counts["ramp ceiling msgs/s"] = int64(max(ceiling, 0))
		sum.Counts["ramp ceiling deliveries/s"] = int64(max(ceiling, 0) * float64(len(f.peers)))
		for _, st := range r.steps {
			sum.Notes = append(sum.Notes, fmt.Sprintf("ramp step %.1f msg/s: sent %.1f/s (send p99 %.1f ms), %.0f deliveries/s, delivery p50 %.1f ms, p99 %.1f ms, %d late: %s",
				st.Rate, st.Sent, st.SendP99, st.Deliveries, st.P50, st.P99, st.Late, map[bool]string{true: "pass", false: st.Why}[st.Pass]))
		}
		why := "the ramp reached -duration"
		if n := len(r.steps); n > 0 && !r.steps[n-1].Pass {
			why = "the next step failed: " + r.steps[n-1].Why
		}
		fmt.Fprintf(out, "ramp ceiling: %.1f messages/s = %.0f PDU deliveries/s with delivery p99 ≤ %s (%s)\n",
			max(ceiling, 0), max(ceiling, 0)*float64(len(f.peers)), o.p99, why)
	}
	_ = sendWall
	return r.finish(sum, srv, phaseStart.Sub(rec.Start()), out, r.halt.Err())
}

// checkerKeyring fetches the keys the sampled checks need: the target's
// and, for the joins in the room, the synthetic servers'.
func checkerKeyring(o *options, w *world, f *fleet) (*federation.Keyring, error) {
	overrides := maps.Clone(f.overrides)
	if overrides == nil {
		overrides = map[string]string{}
	}
	if o.fedAddr != "" {
		overrides[w.serverName] = o.fedAddr
	}
	roots := w.roots
	if roots == nil {
		var err error
		if roots, err = federation.LoadRootCAs(nil); err != nil {
			return nil, err
		}
	}
	roots = roots.Clone()
	roots.AppendCertsFromPEM(f.hub.CAPEM())
	c := federation.NewClient(federation.ClientConfig{ServerName: f.peers[0].Name, Key: f.peers[0].Key,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: overrides}), RootCAs: roots, InsecureSkipVerify: o.insecure})
	return federation.NewKeyring(federation.KeyringConfig{Fetcher: c}), nil
}

// finish checks deliveries and fills the summary; cause is why the run
// ended early, if it did.
func (r *runner) finish(sum *report.Summary, srv *procwatch.Watch, phaseStart time.Duration, out io.Writer, cause error) (*report.Summary, error) {
	r.rec.Fill(sum)
	v := r.verify()
	wall := time.Duration(r.recv.lastArrival.Load()) - phaseStart
	sum.Seconds = max(wall.Seconds(), 0)
	c := sum.Counts
	c["destinations"] = int64(len(r.f.peers))
	c["messages sent"], c["messages failed"] = v.sent, v.failed
	c["deliveries expected"], c["deliveries"], c["deliveries missing"] = v.expected, v.delivered, v.missing
	c["deliveries duplicated"], c["deliveries out of order"] = v.duplicates, v.reordered
	c["transactions"], c["PDUs in transactions (this run's messages)"] = r.recv.txns.Load()-r.txns0, r.recv.pdus.Load()-r.pdus0
	c["deliveries in the timed phase"] = v.timed
	c["transactions without this run's messages"] = r.recv.foreign.Load()
	c["unknown message numbers"] = r.recv.unknown.Load()
	c["X-Matrix signatures verified"], c["X-Matrix signatures refused"] = r.recv.verified.Load(), r.f.hub.Rejected()
	c["senders behind schedule"] = r.behind.Load()
	var checkErr error
	if ch := r.recv.checks.Load(); ch != nil {
		checkErr = ch.stop()
		c["PDU checks passed"], c["PDU checks failed"], c["PDU samples skipped"] = ch.ok.Load(), ch.failed.Load(), ch.skipped.Load()
	}
	maps.Copy(sum.Errors, r.health.Errors())
	r.downMu.Lock()
	sum.Notes = append(sum.Notes, r.downLog...)
	r.downMu.Unlock()
	sum.Notes = append(sum.Notes, "delivery latency runs from the client's 200 for a message to its arrival at a destination in a transaction (0 when it arrived first)")
	if srv != nil {
		sum.Server = srv.Summary(time.Duration(sum.Seconds*float64(time.Second)), v.timed, "PDU delivery")
	}
	writeText(out, sum)
	switch {
	case cause != nil:
		return sum, cause
	case v.sent == 0:
		return sum, fmt.Errorf("%w: %d sends failed", ErrNothingSent, v.failed)
	case v.missing > 0 || v.duplicates > 0 || v.reordered > 0:
		return sum, fmt.Errorf("%w: %d of %d deliveries missing, %d duplicated, %d out of order", ErrDelivery, v.missing, v.expected, v.duplicates, v.reordered)
	case r.f.hub.Rejected() > 0:
		return sum, fmt.Errorf("%w: %d transactions carried a bad X-Matrix signature", ErrDelivery, r.f.hub.Rejected())
	case checkErr != nil:
		return sum, fmt.Errorf("%w: sampled PDU check: %w", ErrDelivery, checkErr)
	}
	return sum, nil
}

// verdict is the delivery check's result.
type verdict struct {
	sent, failed, expected, delivered, missing, duplicates, reordered int64
	timed                                                             int64 // deliveries of the timed phase's messages
}

// verify counts, for every message answered 200, the destinations it
// reached and missed, and for every destination the messages it got twice
// or out of order: a message that arrived before one whose send had been
// answered before it was sent.
func (r *runner) verify() verdict {
	var v verdict
	n := len(r.f.peers)
	for seq := range r.l.len() {
		m := r.l.get(seq)
		switch m.state.Load() {
		case seqlog.Sent:
			v.sent++
			v.expected += int64(n)
			for d := range m.arrivals {
				if m.arrivals[d].Load() == 0 {
					v.missing++
				}
			}
		case seqlog.Failed:
			v.failed++
		}
		for d := range m.arrivals {
			if m.arrivals[d].Load() != 0 {
				v.delivered++
				if seq >= r.firstTimed {
					v.timed++
				}
			}
		}
	}
	for i := range r.recv.dests {
		d := &r.recv.dests[i]
		v.duplicates += d.duplicates.Load()
		d.mu.Lock()
		maxStart := int64(-1)
		for _, seq := range d.order {
			m := r.l.get(int64(seq))
			if done := m.done.Load(); done != 0 && done < maxStart {
				v.reordered++
			}
			maxStart = max(maxStart, m.start.Load())
		}
		d.mu.Unlock()
	}
	return v
}

// writeText prints the summary for people.
func writeText(out io.Writer, s *report.Summary) {
	c := s.Counts
	report.WriteLatencyText(out, s, 26)
	txns := c["transactions"]
	fmt.Fprintf(out, "timed phase: %d PDU deliveries in %.1f s: %.0f deliveries/s, %.0f transactions/s, %.1f PDUs per transaction\n",
		c["deliveries in the timed phase"], s.Seconds, float64(c["deliveries in the timed phase"])/max(s.Seconds, 1e-9), float64(txns)/max(s.Seconds, 1e-9),
		float64(c["PDUs in transactions (this run's messages)"])/float64(max(txns, 1)))
	fmt.Fprintf(out, "messages sent %d (failed %d), deliveries expected %d, missing %d, duplicated %d, out of order %d\n",
		c["messages sent"], c["messages failed"], c["deliveries expected"], c["deliveries missing"], c["deliveries duplicated"], c["deliveries out of order"])
	fmt.Fprintf(out, "signatures: X-Matrix verified %d, refused %d; PDU checks passed %d, failed %d\n",
		c["X-Matrix signatures verified"], c["X-Matrix signatures refused"], c["PDU checks passed"], c["PDU checks failed"])
	for _, d := range s.Distributions {
		if n := len(d.Keys); n > 0 {
			fmt.Fprintf(out, "%s: best p99 %s (%s), median p99 %s, worst p99 %s (%s)\n", d.Name,
				report.Ms(d.Keys[0].P99), d.Keys[0].Name, report.Ms(d.Keys[n/2].P99), report.Ms(d.Keys[n-1].P99), d.Keys[n-1].Name)
		}
	}
	report.WriteTailText(out, s, 2)
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Unwrap lets report.IsTerminal see the terminal underneath.
func (l *lockedWriter) Unwrap() io.Writer { return l.w }
