package liveness

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
)

func TestFailCountsByCode(t *testing.T) {
	tl := New()
	errs := []error{
		&mx.Error{Status: 403, ErrCode: "M_FORBIDDEN"},
		&mx.Error{Status: 429, ErrCode: "M_LIMIT_EXCEEDED"},
		&mx.Error{Status: 403, ErrCode: "M_FORBIDDEN"},
		fmt.Errorf("%w: PUT /x: connection refused", mx.ErrTransport),
	}
	for _, err := range errs {
		tl.Fail(err)
	}
	got := tl.Errors()
	want := map[string]int64{"M_FORBIDDEN": 2, "M_LIMIT_EXCEEDED": 1, "transport": 1}
	if len(got) != len(want) || tl.Failures() != 4 {
		t.Fatalf("errors %v (%d), want %v", got, tl.Failures(), want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d, want %d", k, got[k], n)
		}
	}
	got["M_FORBIDDEN"] = 99 // a copy: the tally keeps its own
	if tl.Errors()["M_FORBIDDEN"] != 2 {
		t.Error("Errors returned the tally's own map")
	}
}

// A target is silent only after a transport error and giveUp without a
// sign of life; an answer in between keeps it alive.
func TestSilent(t *testing.T) {
	refused := fmt.Errorf("%w: GET /: connection refused", mx.ErrTransport)
	tests := []struct {
		name     string
		fail     error
		answered time.Duration // how long ago the last sign of life was
		want     bool
	}{
		{"no transport error, long quiet", &mx.Error{Status: 500}, time.Hour, false},
		{"transport error, recent answer", refused, time.Second, false},
		{"transport error, long quiet", refused, time.Hour, true},
	}
	for _, tt := range tests {
		tl := New()
		tl.Fail(tt.fail)
		tl.lastAnswer.Store(time.Now().Add(-tt.answered).UnixNano())
		s := tl.silent(10 * time.Second)
		if (s != nil) != tt.want {
			t.Errorf("%s: silent %v, want %t", tt.name, s, tt.want)
		}
		if s != nil && s.Last != refused.Error() {
			t.Errorf("%s: last error %q", tt.name, s.Last)
		}
	}
}

func TestWatchEnds(t *testing.T) {
	tl := New()
	tl.Fail(fmt.Errorf("%w: refused", mx.ErrTransport))
	var s *Silence
	if err := tl.Watch(context.Background(), nil, time.Millisecond); !errors.As(err, &s) || s.For != time.Millisecond {
		t.Errorf("silent target: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New().Watch(ctx, nil, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
	done := make(chan struct{})
	close(done)
	if err := New().Watch(context.Background(), done, time.Hour); err != nil {
		t.Errorf("done: %v", err)
	}
}
