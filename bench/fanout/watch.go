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
var ErrTargetExited = errors.New("fanout: the homeserver process exited")

// serverWatch samples the target process's CPU time and RSS once a second
// (from /proc) into gauges, and reports a process that went away.
type serverWatch struct {
	pid int

	mu             sync.Mutex
	cpu0, cpuEnd   time.Duration
	rssMax, rssEnd int64
}

func startServerWatch(pid int) (*serverWatch, error) {
	cpu, err := proc.CPU(pid)
	if err != nil {
		return nil, fmt.Errorf("fanout: -pid %d: %w", pid, err)
	}
	return &serverWatch{pid: pid, cpu0: cpu, cpuEnd: cpu}, nil
}

// begin starts the measured span (set-up CPU is not the traffic's).
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

// loop samples until stop closes; it calls abort if the process is gone.
func (s *serverWatch) loop(rec *report.Recorder, stop <-chan struct{}, abort func(error)) {
	cpuGauge := rec.Gauge("server CPU", "% of one core")
	rssGauge := rec.Gauge("server RSS", "MiB")
	s.mu.Lock()
	last, lastAt := s.cpu0, time.Now()
	s.mu.Unlock()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cpu, err := proc.CPU(s.pid)
		rss, err2 := proc.RSS(s.pid)
		if err != nil || err2 != nil {
			abort(fmt.Errorf("%w: pid %d: %w", ErrTargetExited, s.pid, errors.Join(err, err2)))
			return
		}
		now := time.Now()
		cpuGauge.Set(100 * (cpu - last).Seconds() / now.Sub(lastAt).Seconds())
		rssGauge.Set(float64(rss) / (1 << 20))
		last, lastAt = cpu, now
		s.mu.Lock()
		s.cpuEnd, s.rssMax, s.rssEnd = cpu, max(s.rssMax, rss), rss
		s.mu.Unlock()
	}
}

// stop reads the CPU time at the end of the measured span.
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

// summary is what the watch measured over wall, per delivery.
func (s *serverWatch) summary(wall time.Duration, deliveries int64) *report.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	cpu := s.cpuEnd - s.cpu0
	out := &report.Server{PID: s.pid, CPUSeconds: cpu.Seconds(), PerOp: "PDU delivery", RSSMaxBytes: s.rssMax, RSSEndBytes: s.rssEnd}
	if wall > 0 {
		out.CPUPercent = 100 * cpu.Seconds() / wall.Seconds()
	}
	if deliveries > 0 {
		out.CPUPerOp = float64(cpu.Nanoseconds()) / 1000 / float64(deliveries)
	}
	return out
}
