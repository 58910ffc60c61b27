package procwatch

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/report"
)

var errExited = errors.New("test: the process exited")

func TestSummary(t *testing.T) {
	tests := []struct {
		name        string
		cpu         time.Duration
		wall        time.Duration
		ops         int64
		wantPercent float64
		wantPerOp   float64
	}{
		{"half a core", 2 * time.Second, 4 * time.Second, 1000, 50, 2000},
		{"sub-microsecond per op", 1500 * time.Nanosecond, time.Second, 2, 0.00015, 0.75},
		{"no ops, no wall", time.Second, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		w := &Watch{pid: 7, cpu0: time.Second, cpuEnd: time.Second + tt.cpu, rssMax: 3 << 20, rssEnd: 2 << 20}
		got := w.Summary(tt.wall, tt.ops, "thing")
		if got.PID != 7 || got.PerOp != "thing" || got.CPUSeconds != tt.cpu.Seconds() || got.RSSMaxBytes != 3<<20 || got.RSSEndBytes != 2<<20 {
			t.Errorf("%s: %+v", tt.name, got)
		}
		if d := got.CPUPercent - tt.wantPercent; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: CPU %g%%, want %g", tt.name, got.CPUPercent, tt.wantPercent)
		}
		if d := got.CPUPerOp - tt.wantPerOp; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %g µs per op, want %g", tt.name, got.CPUPerOp, tt.wantPerOp)
		}
	}
}

// A watched process that exits ends the loop with the caller's sentinel;
// one that never existed is refused at Start.
func TestLoopReportsExit(t *testing.T) {
	if _, err := Start(-1, errExited); err == nil {
		t.Fatal("Start(-1) succeeded")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep binary:", err)
	}
	w, err := Start(cmd.Process.Pid, errExited)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	aborted := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go w.Loop(report.NewRecorder(), stop, func(err error) { aborted <- err })
	cmd.Process.Kill()
	cmd.Wait() // reaped: /proc/<pid> is gone
	select {
	case err := <-aborted:
		if !errors.Is(err, errExited) {
			t.Fatalf("abort(%v), want the exited sentinel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not notice the exit")
	}
}

// Watching this very process measures a positive RSS after Stop.
func TestStopReadsSelf(t *testing.T) {
	w, err := Start(os.Getpid(), errExited)
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
	if s := w.Summary(time.Second, 1, "op"); s.RSSMaxBytes <= 0 || s.RSSEndBytes <= 0 || s.CPUSeconds < 0 {
		t.Fatalf("summary %+v", s)
	}
}
