package abort

import (
	"errors"
	"sync"
	"testing"
)

// The first reason wins, whatever races to abort, and Err is nil until then.
func TestFirstReasonWins(t *testing.T) {
	first := errors.New("abort test: first")
	s := New()
	if s.Err() != nil {
		t.Fatal("a fresh signal has a reason")
	}
	select {
	case <-s.Done():
		t.Fatal("a fresh signal is done")
	default:
	}
	s.Abort(first)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); s.Abort(errors.New("later " + string(rune('a'+i)))) }()
	}
	wg.Wait()
	<-s.Done()
	if s.Err() != first {
		t.Fatalf("reason %v, want the first", s.Err())
	}
}
