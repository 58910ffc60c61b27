package main

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/configs"
)

// benchConcurrency is the number of requests in flight in the in-process
// benchmarks, as -concurrency is for the program.
const benchConcurrency = 8

const benchPassword = "bench-password-1"

// startAxon runs an in-process homeserver (bench/internal/homeservertest) at the
// given bcrypt cost and returns a client for it.
func startAxon(b testing.TB, bcryptRounds int) *mx.Client {
	b.Helper()
	c, err := mx.New(homeservertest.Start(b, homeservertest.Options{BcryptRounds: bcryptRounds}), 2*benchConcurrency, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// registerUsers creates n users through UIA and logs each in once.
func registerUsers(b *testing.B, c *mx.Client, n int) (names, tokens []string) {
	b.Helper()
	names, tokens = make([]string, n), make([]string, n)
	err := parallel.Do(benchConcurrency, n, func(i int) error {
		names[i] = fmt.Sprintf("bench-%d", i)
		if _, err := c.Register(names[i], benchPassword, true); err != nil {
			return err
		}
		l, err := c.Login(names[i], benchPassword)
		tokens[i] = l.AccessToken
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return names, tokens
}

// measure runs op b.N times from benchConcurrency goroutines and reports
// latency percentiles and this process's CPU time per request. Client and
// server share the process, so cpu-µs/op is their sum.
func measure(b *testing.B, op func(i int) error) {
	b.Helper()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		firstErr  error
		wg        sync.WaitGroup
	)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := proc.SelfCPU()
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cpu := proc.SelfCPU() - cpu0
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(report.Percentile(latencies, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(report.Percentile(latencies, 99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkLogin measures POST /login (m.login.password) over loopback HTTP
// at bcrypt cost 4 (bcrypt's minimum: the server's own cost) and 12
// (Synapse's default bcrypt_rounds: what production pays).
func BenchmarkLogin(b *testing.B) {
	for _, rounds := range []int{4, configs.DefaultBcryptRounds} {
		b.Run(fmt.Sprintf("bcrypt=%d", rounds), func(b *testing.B) {
			c := startAxon(b, rounds)
			names, _ := registerUsers(b, c, 4)
			measure(b, func(i int) error {
				_, err := c.Login(names[i%len(names)], benchPassword)
				return err
			})
		})
	}
}

// BenchmarkWhoami measures GET /account/whoami: access-token resolution
// through the token cache, over loopback HTTP.
func BenchmarkWhoami(b *testing.B) {
	c := startAxon(b, 4)
	names, tokens := registerUsers(b, c, 16)
	measure(b, func(i int) error {
		id, err := c.Whoami(tokens[i%len(tokens)])
		if err == nil && id != "@"+names[i%len(names)]+":localhost" {
			err = fmt.Errorf("whoami answered %q for %s", id, names[i%len(names)])
		}
		return err
	})
}
