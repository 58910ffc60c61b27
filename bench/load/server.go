package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/report"
)

// ErrTargetExited is a -pid whose process went away during the run.
var ErrTargetExited = errors.New("load: the homeserver process exited")

// serverWatch samples the target process's CPU time and RSS once a second
// into the recorder's gauges and aborts the run when the process is gone.
type serverWatch struct {
	pid  int
	cpu0 time.Duration

	mu             sync.Mutex // the sampling loop and stop both write these
	cpuEnd         time.Duration
	rssMax, rssEnd int64
}

func startServerWatch(pid int) (*serverWatch, error) {
	cpu, err := proc.CPU(pid)
	if err != nil {
		return nil, fmt.Errorf("load: -pid %d: %w", pid, err)
	}
	return &serverWatch{pid: pid, cpu0: cpu, cpuEnd: cpu}, nil
}

func (s *serverWatch) loop(r *runner) {
	cpuGauge := r.rec.Gauge("server CPU", "% of one core")
	rssGauge := r.rec.Gauge("server RSS", "MiB")
	s.mu.Lock()
	last, lastAt := s.cpu0, time.Now()
	s.mu.Unlock()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.stopCh:
			return
		case <-t.C:
		}
		cpu, err := proc.CPU(s.pid)
		rss, err2 := proc.RSS(s.pid)
		if err != nil || err2 != nil {
			r.abort(fmt.Errorf("%w: pid %d: %w", ErrTargetExited, s.pid, errors.Join(err, err2)))
			return
		}
		now := time.Now()
		cpuGauge.Set(100 * (cpu - last).Seconds() / now.Sub(lastAt).Seconds())
		rssGauge.Set(float64(rss) / (1 << 20))
		last, lastAt = cpu, now
		s.mu.Lock()
		s.rssMax, s.rssEnd = max(s.rssMax, rss), rss
		s.mu.Unlock()
	}
}

// begin starts the measured span: the set-up's CPU time (bcrypt of every
// registration and login) is not the traffic's.
func (s *serverWatch) begin() error {
	cpu, err := proc.CPU(s.pid)
	if err != nil {
		return fmt.Errorf("%w: pid %d: %w", ErrTargetExited, s.pid, err)
	}
	s.mu.Lock()
	s.cpu0, s.cpuEnd = cpu, cpu
	s.mu.Unlock()
	return nil
}

// stop reads the CPU time at the end of the sending phase.
func (s *serverWatch) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cpu, err := proc.CPU(s.pid); err == nil {
		s.cpuEnd = cpu
	}
	if rss, err := proc.RSS(s.pid); err == nil {
		s.rssMax, s.rssEnd = max(s.rssMax, rss), rss
	}
}

// summary is what the watch measured over wall seconds and ops operations.
func (s *serverWatch) summary(wall time.Duration, ops int64) *report.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	cpu := s.cpuEnd - s.cpu0
	out := &report.Server{PID: s.pid, CPUSeconds: cpu.Seconds(), PerOp: "operation", RSSMaxBytes: s.rssMax, RSSEndBytes: s.rssEnd}
	if wall > 0 {
		out.CPUPercent = 100 * cpu.Seconds() / wall.Seconds()
	}
	if ops > 0 {
		out.CPUPerOp = float64(cpu.Microseconds()) / float64(ops)
	}
	return out
}
