package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/rooms/version"
)

// The generated room is shared by every benchmark run of the process.
var (
	bigOnce  sync.Once
	bigWorld *world
	bigErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bigWorld != nil {
		bigWorld.close()
	}
	os.Exit(code)
}

// BenchmarkJoin10000Members: one op is a client's POST /join of a room
// whose state has 10,005 events (10,001 members) and whose auth chain has
// 20,003, through a fake resident, by a fresh Axon (started and stopped
// outside the timer). The room is generated once per process.
func BenchmarkJoin10000Members(b *testing.B) {
	bigOnce.Do(func() {
		v, _ := version.Lookup("12")
		bigWorld, bigErr = newWorld(v, 10000, "", nil)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	var sum split
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		err := bigWorld.withAxon(func(a *axon, c *mx.Client, token string) error {
			b.StartTimer()
			s, err := join(a, c, token, bigWorld.room)
			b.StopTimer()
			sum.add(s)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(sum.Fetch), "fetch-ms/op")
	b.ReportMetric(ms(sum.Verify), "verify-ms/op")
	b.ReportMetric(ms(sum.Persist), "persist-ms/op")
	b.ReportMetric(ms(sum.CPU), "cpu-ms/op")
	load, _ := strconv.ParseFloat(strings.Fields(proc.LoadAverage() + " 0")[0], 64)
	b.ReportMetric(load, "load1")
}
