package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/abort"
	"github.com/axonhs/axon/bench/internal/cli"
	"github.com/axonhs/axon/bench/internal/liveness"
	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/internal/procwatch"
	"github.com/axonhs/axon/bench/report"
)

func main() {
	var o options
	var sizes, mixFlag string
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8008", "client API base URL of the homeserver")
	flag.IntVar(&o.users, "users", 20, "users to register")
	flag.IntVar(&o.rooms, "rooms", 10, "rooms to create")
	flag.StringVar(&sizes, "room-size", "5", "members per room, or a comma-separated list the rooms cycle through (e.g. 2,5,50)")
	flag.IntVar(&o.syncers, "syncers", 10, "/sync long-polls to keep open (each its own device of a member)")
	flag.Float64Var(&o.rate, "rate", 0, "operations per second over all kinds; 0 sends as fast as -concurrency allows")
	flag.IntVar(&o.concurrency, "concurrency", 16, "operations in flight at most")
	flag.StringVar(&mixFlag, "mix", "message=80,typing=8,receipt=8,state=2,joinleave=2", "relative weights of message, typing, receipt, state, joinleave")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to drive traffic")
	flag.DurationVar(&o.drain, "drain", 10*time.Second, "how long to wait after the traffic for deliveries still in flight")
	flag.DurationVar(&o.syncTimeout, "sync-timeout", 10*time.Second, "timeout parameter of each /sync long-poll")
	o.Common.Register(flag.CommandLine, "load", "users")
	flag.Parse()
	var err error
	if o.roomSizes, err = parseSizes(sizes); err == nil {
		o.mix, err = parseMix(mixFlag)
	}
	if err == nil {
		err = o.validate()
	}
	if err != nil {
		cli.Refuse(err)
	}
	cli.Main(func(ctx context.Context) error {
		_, err := run(ctx, &o, os.Stdout)
		return err
	})
}

// run sets up, drives the traffic, checks deliveries and writes the
// outputs. Whatever happens after the target answered, the JSON and HTML
// files hold what was measured, with the reason in Outcome.
func run(ctx context.Context, o *options, out io.Writer) (sum *report.Summary, err error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	c, err := mx.New(o.url, o.concurrency+4, time.Minute)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	defer c.Close()
	syncs, err := mx.New(o.url, o.syncers+1, o.syncTimeout+time.Minute)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	defer syncs.Close()

	sum = report.NewSummary("bench/load", c.Base(), o.params())
	rec := report.NewRecorder()
	defer func() { err = report.Conclude(rec, sum, err, o.JSONPath, o.HTMLPath) }()

	fmt.Fprintf(out, "target %s, GOMAXPROCS %d, %d CPUs, load average %s\n", c.Base(), runtime.GOMAXPROCS(0), runtime.NumCPU(), proc.LoadAverage())
	if err := c.CheckHomeserver(); err != nil {
		return sum, err
	}
	var srv *procwatch.Watch
	if o.PID > 0 {
		if srv, err = procwatch.Start(o.PID, ErrTargetExited); err != nil {
			return sum, fmt.Errorf("load: -pid %d: %w", o.PID, err)
		}
	}
	w, err := setUp(c, o, out, func(k string, n int64) { sum.Counts[k] = n })
	if err != nil {
		return sum, err
	}

	id := make([]byte, 4)
	_, _ = rand.Read(id)
	r := &runner{
		o: o, c: c, syncs: syncs, w: w, runID: hex.EncodeToString(id),
		rec: report.NewRecorder(), lastEvent: make([]atomic.Pointer[string], len(w.rooms)),
		churnJoined: map[[2]int]bool{}, churnBusy: map[[2]int]bool{}, typed: map[[2]int]bool{}, health: liveness.New(),
		sendStop: make(chan struct{}), stopCh: make(chan struct{}), halt: abort.New(),
	}
	rec = r.rec
	r.ledger = newLedger(rec.Start())
	r.opSeries[opMessage] = rec.Series("send") // receipts fall back to messages
	for k := range numKinds {
		if o.mix[k] > 0 {
			r.opSeries[k] = rec.Series(k.seriesName())
		}
	}
	r.deliverySeries = rec.Series("delivery")
	r.syncSeries = rec.Series("sync")
	r.perSyncer = rec.Group("delivery latency by syncer")
	r.health.Answered()
	return r.drive(ctx, srv, sum, out)
}
