package liveness

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
)

// transport is mx.Code's code of a request that got no HTTP answer.
const transport = "transport"

// Tally is the record of a run's answers. It is safe for concurrent use;
// make one with New.
type Tally struct {
	lastAnswer atomic.Int64 // unix ns
	transport  atomic.Bool  // a transport error has been seen

	mu            sync.Mutex
	errs          map[string]int64
	lastTransport string
}

// New is an empty tally whose target answered just now.
func New() *Tally {
	t := &Tally{errs: map[string]int64{}}
	t.Answered()
	return t
}

// Answered records a sign of life of the target now.
func (t *Tally) Answered() { t.lastAnswer.Store(time.Now().UnixNano()) }

// Fail counts a failed request by its code, which it returns; a transport
// error is kept as the last one seen.
func (t *Tally) Fail(err error) string {
	code := mx.Code(err)
	t.mu.Lock()
	t.errs[code]++
	if code == transport {
		t.lastTransport = err.Error()
	}
	t.mu.Unlock()
	if code == transport {
		t.transport.Store(true)
	}
	return code
}

// Errors is a copy of the failures counted by code.
func (t *Tally) Errors() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.errs)
}

// Failures is the number of failures counted.
func (t *Tally) Failures() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, c := range t.errs {
		n += c
	}
	return n
}

// Silence is a target that gave no sign of life for For while requests to
// it failed in transport, the last with Last.
type Silence struct {
	For  time.Duration
	Last string
}

func (s *Silence) Error() string {
	return fmt.Sprintf("liveness: no answer for %s; last error: %s", s.For, s.Last)
}

// silent is the Silence of the target if it has been silent for giveUp
// after a transport error, else nil.
func (t *Tally) silent(giveUp time.Duration) *Silence {
	if !t.transport.Load() || time.Since(time.Unix(0, t.lastAnswer.Load())) <= giveUp {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return &Silence{For: giveUp, Last: t.lastTransport}
}

// Watch checks four times a second until done closes (nil), ctx ends
// (ctx's error) or the target is silent for giveUp (a *Silence).
func (t *Tally) Watch(ctx context.Context, done <-chan struct{}, giveUp time.Duration) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if s := t.silent(giveUp); s != nil {
				return s
			}
		}
	}
}
