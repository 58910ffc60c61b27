package report

import (
	"testing"
	"time"
)

// BenchmarkHistogramRecord is the cost of counting one latency.
func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i%100_000) * time.Microsecond)
	}
}

// BenchmarkSeriesObserve is the cost of recording one latency into a
// series from all cores at once (the lock, the clock and two histograms),
// what every send and delivery pays in the load generator.
func BenchmarkSeriesObserve(b *testing.B) {
	s := NewRecorder().Series("send")
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Observe(time.Duration(i%100_000) * time.Microsecond)
			i++
		}
	})
}

// BenchmarkFill is the cost of a summary over 600 one-second buckets of a
// thousand latencies each.
func BenchmarkFill(b *testing.B) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := newRecorder(clk.now, time.Second, DefaultMaxBuckets)
	s := r.Series("send")
	for range 599 {
		for i := range 1000 {
			s.Observe(time.Duration(i) * 37 * time.Microsecond)
		}
		clk.advance(time.Second)
	}
	for b.Loop() {
		var sum Summary
		r.Fill(&sum)
	}
}
