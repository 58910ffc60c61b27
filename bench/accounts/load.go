package main

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
)

// result is what one timed phase measured.
type result struct {
	name      string
	ops       int // successful requests
	failures  int // errors other than rate limiting
	limited   int // M_LIMIT_EXCEEDED answers
	firstErr  error
	wall      time.Duration
	latencies []time.Duration // of successful requests, sorted
	selfCPU   time.Duration   // this process, getrusage
	targetCPU time.Duration   // the server, /proc/<pid>/stat; -1 when unknown
}

// drive runs op from concurrency goroutines until duration has passed and
// measures it. Worker w's n-th call is op(w, n).
func drive(name string, concurrency int, duration time.Duration, pid int, op func(worker, n int) error) result {
	type tally struct {
		lat              []time.Duration
		failures, limits int
		firstErr         error
	}
	tallies := make([]tally, concurrency)
	r := result{name: name, targetCPU: -1}
	target0, targetErr := time.Duration(0), error(nil)
	if pid > 0 {
		target0, targetErr = proc.CPU(pid)
	}
	self0 := proc.SelfCPU()
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			for n := 0; time.Now().Before(deadline); n++ {
				t0 := time.Now()
				err := op(w, n)
				switch {
				case err == nil:
					t.lat = append(t.lat, time.Since(t0))
				case errors.Is(err, mx.ErrRateLimited):
					t.limits++
				default:
					t.failures++
					if t.firstErr == nil {
						t.firstErr = err
					}
				}
			}
		}()
	}
	wg.Wait()
	r.wall = time.Since(start)
	r.selfCPU = proc.SelfCPU() - self0
	if pid > 0 && targetErr == nil {
		if t1, err := proc.CPU(pid); err == nil {
			r.targetCPU = t1 - target0
		}
	}
	for _, t := range tallies {
		r.latencies = append(r.latencies, t.lat...)
		r.failures += t.failures
		r.limited += t.limits
		if r.firstErr == nil {
			r.firstErr = t.firstErr
		}
	}
	r.ops = len(r.latencies)
	slices.Sort(r.latencies)
	return r
}

func (r result) rate() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.ops) / r.wall.Seconds()
}

// perOp divides a CPU time by the number of requests answered.
func (r result) perOp(cpu time.Duration) time.Duration {
	n := r.ops + r.failures + r.limited
	if n == 0 || cpu < 0 {
		return -1
	}
	return cpu / time.Duration(n)
}
