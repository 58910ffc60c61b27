package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
)

// startAxon runs an in-process homeserver (bench/internal/homeservertest) and
// returns a client for it with conns connections.
func startAxon(b testing.TB, conns int) *mx.Client {
	b.Helper()
	c, err := mx.New(homeservertest.Start(b, homeservertest.Options{}), conns, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// BenchmarkSend measures durable sends (each answered only after its
// batch's fsync) over loopback HTTP, into one room and over 100 rooms, with
// 1, 16 and 64 concurrent senders. Client and server share the process, so
// cpu-µs/op is their sum; load1 is the machine's load average before the
// run (the machine is shared).
func BenchmarkSend(b *testing.B) {
	for _, rooms := range []int{1, 100} {
		for _, senders := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("rooms=%d/senders=%d", rooms, senders), func(b *testing.B) {
				c := startAxon(b, senders)
				s, err := prepare(c, "bench", senders, rooms)
				if err != nil {
					b.Fatal(err)
				}
				load, _ := strconv.ParseFloat(proc.LoadAverage(), 64)
				b.ResetTimer()
				r, err := run(c, s, b.N, time.Hour, proc.SelfCPU)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.perSecond(), "sends/s")
				b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
				b.ReportMetric(float64(r.cpu.Microseconds())/float64(b.N), "cpu-µs/op")
				b.ReportMetric(load, "load1")
			})
		}
	}
}

// TestSendLoad runs the program's load loop against an in-process server
// briefly and checks every send got a distinct event ID path through.
func TestSendLoad(t *testing.T) {
	c := startAxon(t, 4)
	s, err := prepare(c, "loadtest", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(c, s, 60, time.Minute, proc.SelfCPU)
	if err != nil {
		t.Fatal(err)
	}
	if r.sends != 60 || r.p99 < r.p50 || r.p50 <= 0 {
		t.Fatalf("result %+v", r)
	}
}
