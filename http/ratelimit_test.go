package http

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterRefillsAndReportsWait(t *testing.T) {
	now := time.Unix(100, 0)
	l := NewLimiter(2, 3, 10, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.Allow("ip")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over burst: ok=%v wait=%v, want refused and 500ms", ok, wait)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("ip"); !ok {
		t.Fatal("no refill after the reported wait")
	}
}

func TestLimiterIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(1, 1, 4, func() time.Time { return now })
	for i := range 100 {
		l.Allow(fmt.Sprint("k", i))
		now = now.Add(time.Millisecond)
	}
	if n := l.Len(); n > 4 {
		t.Fatalf("%d buckets held, bound is 4", n)
	}
	// The newest key kept its (empty) bucket.
	if ok, _ := l.Allow("k99"); ok {
		t.Fatal("most recent bucket was evicted")
	}
}

func TestNilLimiterAllows(t *testing.T) {
	var l *Limiter
	if ok, _ := l.Allow("x"); !ok {
		t.Fatal("nil limiter refused")
	}
	if NewLimiter(0, 10, 0, nil) != nil || NewLimiter(1, 0, 0, nil) != nil {
		t.Fatal("zero rate or burst should switch limiting off")
	}
}
