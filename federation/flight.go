package federation

import (
	"context"
	"sync"
)

// flight runs one call per key at a time; callers arriving while it runs
// wait for its result (or their own context) instead of starting another.
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	err  error
}

// do runs fn for key unless a call for key is in flight, in which case it
// waits for that one. fn runs detached from ctx, so one caller giving up
// does not fail the others.
func (f *flight) do(ctx context.Context, key string, fn func() error) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	c, ok := f.calls[key]
	if !ok {
		c = &flightCall{done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			c.err = fn()
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
