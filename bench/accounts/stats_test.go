package main

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		// Fields 14 and 15 (utime 250, stime 50 ticks) after an ordinary name.
		{"1234 (axon) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1000 0 0", 3 * time.Second, true},
		// A name with spaces and a ')' must not shift the fields.
		{"99 (we ird) (x)) R 1 2 3 4 5 6 7 8 9 10 7 3 0 0", 100 * time.Millisecond, true},
		{"99 axon S 1", 0, false},
		{"99 (axon) S 1 2 3", 0, false},
		{"99 (axon) S 1 2 3 4 5 6 7 8 9 10 x 3", 0, false},
	}
	for _, tt := range tests {
		got, err := parseProcStat(tt.line)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseProcStat(%q) = %v, %v; want %v ok=%t", tt.line, got, err, tt.want, tt.ok)
		}
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Errorf("procCPU(self): %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i))
	}
	tests := []struct {
		data []time.Duration
		p    float64
		want time.Duration
	}{
		{sorted, 50, 50},
		{sorted, 99, 99},
		{sorted, 100, 100},
		{sorted, 1, 1},
		{sorted[:1], 99, 1},
		{sorted[:3], 50, 2},
		{nil, 50, 0},
	}
	for _, tt := range tests {
		if got := percentile(tt.data, tt.p); got != tt.want {
			t.Errorf("percentile(len %d, %v) = %v, want %v", len(tt.data), tt.p, got, tt.want)
		}
	}
}

func TestDriveCountsOutcomes(t *testing.T) {
	boom := errors.New("boom")
	r := drive("x", 2, 50*time.Millisecond, 0, func(w, n int) error {
		time.Sleep(time.Millisecond)
		switch n % 3 {
		case 1:
			return errRateLimited
		case 2:
			return boom
		}
		return nil
	})
	if r.ops == 0 || r.limited == 0 || r.failures == 0 || !errors.Is(r.firstErr, boom) {
		t.Errorf("ops %d limited %d failures %d first %v", r.ops, r.limited, r.failures, r.firstErr)
	}
	if diff := r.ops - r.limited; diff < -2 || diff > 2 {
		t.Errorf("ops %d and limited %d should be within one round per worker", r.ops, r.limited)
	}
	if r.wall < 50*time.Millisecond || r.targetCPU != -1 {
		t.Errorf("wall %v targetCPU %v", r.wall, r.targetCPU)
	}
	for i := 1; i < len(r.latencies); i++ {
		if r.latencies[i] < r.latencies[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
}

// FuzzParseProcStat: no input panics, and a parsed time is never negative.
func FuzzParseProcStat(f *testing.F) {
	f.Add("1234 (axon) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1000 0 0")
	f.Add("1 ((x)) R 1 2 3 4 5 6 7 8 9 10 18446744073709551615 1")
	f.Add(")")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseProcStat(s); err == nil && d < 0 {
			t.Fatalf("parseProcStat(%q) = %v", s, d)
		}
	})
}
