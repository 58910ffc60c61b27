package procwatch

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/report"
)

// Watch samples one process. Its measured span runs from Begin (or Start)
// to Stop; Loop, Stop and Summary may run concurrently.
type Watch struct {
	pid    int
	exited error // the program's sentinel for a process that went away

	mu             sync.Mutex // the sampling loop and Stop both write these
	cpu0, cpuEnd   time.Duration
	rssMax, rssEnd int64
}

// Start opens the watch on pid, reading its CPU time once to check that
// the process exists and is readable. Later failures to read it mean the
// process went away; they are reported wrapped in exited.
func Start(pid int, exited error) (*Watch, error) {
	cpu, err := proc.CPU(pid)
	if err != nil {
		return nil, err
	}
	return &Watch{pid: pid, exited: exited, cpu0: cpu, cpuEnd: cpu}, nil
}

// gone is err as the process having exited.
func (w *Watch) gone(err error) error {
	return fmt.Errorf("%w: pid %d: %w", w.exited, w.pid, err)
}

// Begin starts the measured span anew: the set-up's CPU time (bcrypt of
// every registration and login, joins) is not the traffic's.
func (w *Watch) Begin() error {
	cpu, err := proc.CPU(w.pid)
	if err != nil {
		return w.gone(err)
	}
	w.mu.Lock()
	w.cpu0, w.cpuEnd = cpu, cpu
	w.mu.Unlock()
	return nil
}

// Loop samples once a second into rec's "server CPU" (% of one core) and
// "server RSS" (MiB) gauges until stop closes. When the process can no
// longer be read it calls abort with the exited error and returns.
func (w *Watch) Loop(rec *report.Recorder, stop <-chan struct{}, abort func(error)) {
	cpuGauge := rec.Gauge("server CPU", "% of one core")
	rssGauge := rec.Gauge("server RSS", "MiB")
	w.mu.Lock()
	last, lastAt := w.cpu0, time.Now()
	w.mu.Unlock()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cpu, err := proc.CPU(w.pid)
		rss, err2 := proc.RSS(w.pid)
		if err != nil || err2 != nil {
			abort(w.gone(errors.Join(err, err2)))
			return
		}
		now := time.Now()
		cpuGauge.Set(100 * (cpu - last).Seconds() / now.Sub(lastAt).Seconds())
		rssGauge.Set(float64(rss) / (1 << 20))
		last, lastAt = cpu, now
		w.mu.Lock()
		w.cpuEnd, w.rssMax, w.rssEnd = cpu, max(w.rssMax, rss), rss
		w.mu.Unlock()
	}
}

// Stop ends the measured span with a last reading; a process gone by then
// keeps the last sample's figures.
func (w *Watch) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cpu, err := proc.CPU(w.pid); err == nil {
		w.cpuEnd = cpu
	}
	if rss, err := proc.RSS(w.pid); err == nil {
		w.rssMax, w.rssEnd = max(w.rssMax, rss), rss
	}
}

// Summary is what the watch measured over wall clock time wall: CPU
// seconds, the share of one core, the CPU microseconds per one of ops
// operations (named perOp for the report) and the RSS.
func (w *Watch) Summary(wall time.Duration, ops int64, perOp string) *report.Server {
	w.mu.Lock()
	defer w.mu.Unlock()
	cpu := w.cpuEnd - w.cpu0
	out := &report.Server{PID: w.pid, CPUSeconds: cpu.Seconds(), PerOp: perOp, RSSMaxBytes: w.rssMax, RSSEndBytes: w.rssEnd}
	if wall > 0 {
		out.CPUPercent = 100 * cpu.Seconds() / wall.Seconds()
	}
	if ops > 0 {
		out.CPUPerOp = float64(cpu.Nanoseconds()) / 1000 / float64(ops)
	}
	return out
}
