package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/proc"
)

var (
	benchServers  = flag.Int("fanout.servers", 500, "synthetic servers of BenchmarkFanout")
	benchRate     = flag.Float64("fanout.rate", 100, "messages per second of BenchmarkFanout")
	benchDuration = flag.Duration("fanout.duration", 10*time.Second, "timed phase of BenchmarkFanout")
	benchSenders  = flag.Int("fanout.senders", 16, "local users sending in BenchmarkFanout")
	benchVerbose  = flag.Bool("fanout.v", false, "print BenchmarkFanout's report")
	benchProfile  = flag.String("fanout.cpuprofile", "", "write a CPU profile of BenchmarkFanout's timed phase (not the joins) to this file")
)

// BenchmarkFanout runs the tool against an in-process Axon: -fanout.servers
// IP-literal servers join the room over federation, then -fanout.rate
// messages/s for -fanout.duration. Client, target and synthetic servers
// share the process, so cpu-µs/delivery is all of them together (run with
// -cpuprofile to see where it goes). One op is one whole run.
func BenchmarkFanout(b *testing.B) {
	for range b.N {
		dir := b.TempDir()
		tg := startTarget(b, filepath.Join(dir, "ca.pem"), nil, "")
		o := smokeOptions(tg, dir)
		o.servers, o.ipBase, o.rate, o.duration, o.drain = *benchServers, "127.0.5.1", *benchRate, *benchDuration, time.Minute
		o.senders, o.joinWidth, o.verifyEvery, o.JSONPath, o.HTMLPath = *benchSenders, 16, 200, "", ""
		o.port, o.probeGap = freePort(b, o.ipBase), time.Second
		if *benchProfile != "" {
			o.phaseHook = func(begin bool) {
				if !begin {
					pprof.StopCPUProfile()
					return
				}
				f, err := os.Create(*benchProfile)
				if err == nil {
					err = pprof.StartCPUProfile(f)
				}
				if err != nil {
					b.Error(err)
				}
			}
		}
		var out strings.Builder
		var w io.Writer = &out
		if *benchVerbose {
			w = io.MultiWriter(&out, os.Stderr)
		}
		sum, err := run(context.Background(), o, w)
		if err != nil {
			b.Fatalf("%v\n%s", err, out.String())
		}
		c := sum.Counts
		var del, single float64
		for _, st := range sum.Latency {
			switch st.Name {
			case "delivery":
				del = st.P99
			case "single message delivery":
				single = st.P99
			}
		}
		b.ReportMetric(float64(c["deliveries in the timed phase"])/sum.Seconds, "deliveries/s")
		b.ReportMetric(float64(c["transactions"])/sum.Seconds, "txns/s")
		b.ReportMetric(float64(c["PDUs in transactions (this run's messages)"])/float64(max(c["transactions"], 1)), "pdus/txn")
		b.ReportMetric(del, "p99-ms")
		b.ReportMetric(single, "single-p99-ms")
		b.ReportMetric(sum.Server.CPUPerOp, "cpu-µs/delivery")
		b.ReportMetric(float64(c["messages sent"])/sum.Seconds, "msgs/s")
		f, _ := strconv.ParseFloat(proc.LoadAverage(), 64)
		b.ReportMetric(f, "load1")
	}
}
