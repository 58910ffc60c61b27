package main

import (
	"errors"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
)

func TestDriveCountsOutcomes(t *testing.T) {
	boom := errors.New("boom")
	r := drive("x", 2, 50*time.Millisecond, 0, func(w, n int) error {
		time.Sleep(time.Millisecond)
		switch n % 3 {
		case 1:
			return &mx.Error{Status: 429, ErrCode: "M_LIMIT_EXCEEDED"}
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
