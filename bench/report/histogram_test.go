package report

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

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
		{sorted, 99.5, 100},
		{sorted, 100, 100},
		{sorted, 1, 1},
		{sorted, 0.001, 1},
		{sorted[:1], 99, 1},
		{sorted[:3], 50, 2},
		{sorted[:4], 50, 2},
		{nil, 50, 0},
	}
	for _, tt := range tests {
		if got := Percentile(tt.data, tt.p); got != tt.want {
			t.Errorf("Percentile(len %d, %v) = %v, want %v", len(tt.data), tt.p, got, tt.want)
		}
	}
}

func TestHistogramPercentilesAgainstExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func(i int) time.Duration
		n    int
	}{
		{"uniform 0-100ms", func(int) time.Duration { return time.Duration(rng.Int64N(int64(100 * time.Millisecond))) }, 10000},
		{"exponential mean 2ms", func(int) time.Duration { return time.Duration(rng.ExpFloat64() * float64(2*time.Millisecond)) }, 20000},
		{"bimodal 300µs and 40ms", func(i int) time.Duration {
			if i%10 == 0 {
				return 40*time.Millisecond + time.Duration(rng.Int64N(int64(time.Millisecond)))
			}
			return 300*time.Microsecond + time.Duration(rng.Int64N(int64(50*time.Microsecond)))
		}, 5000},
		{"small exact values", func(i int) time.Duration { return time.Duration(i % 128) }, 1000},
		{"one value", func(int) time.Duration { return 7 * time.Second }, 1},
		{"beyond the range", func(i int) time.Duration { return time.Hour + time.Duration(i) }, 10},
	}
	for _, tt := range tests {
		var h Histogram
		vals := make([]time.Duration, tt.n)
		for i := range vals {
			vals[i] = tt.gen(i)
			h.Record(vals[i])
		}
		slices.Sort(vals)
		for _, p := range []float64{1, 10, 50, 90, 99, 99.9, 100} {
			want := Percentile(vals, p)
			got := h.Percentile(p)
			tol := time.Duration(float64(want) / 128)
			if tt.name == "beyond the range" && p < 100 {
				// Values past 2^40 ns share the last bin; only min and max stay exact.
				continue
			}
			if got < want-tol || got > want+tol {
				t.Errorf("%s: p%v = %v, exact %v (tolerance %v)", tt.name, p, got, want, tol)
			}
		}
		if h.Count() != uint64(tt.n) || h.Max() != vals[len(vals)-1] {
			t.Errorf("%s: count %d max %v", tt.name, h.Count(), h.Max())
		}
	}
	var empty Histogram
	if empty.Percentile(50) != 0 || empty.Mean() != 0 {
		t.Error("empty histogram answered a value")
	}
}

func TestBinsCoverEveryValueOnce(t *testing.T) {
	prevHi := int64(-1)
	for b := range numBins {
		lo, hi := binRange(b)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bin %d is [%d, %d] after %d", b, lo, hi, prevHi)
		}
		if binOf(lo) != b || binOf(hi) != b {
			t.Fatalf("bin %d: binOf(%d)=%d binOf(%d)=%d", b, lo, binOf(lo), hi, binOf(hi))
		}
		if lo >= subCount && float64(hi-lo+1)/float64(lo) > 1.0/halfCount {
			t.Fatalf("bin %d is %d wide at %d", b, hi-lo+1, lo)
		}
		prevHi = hi
	}
	if prevHi != 1<<maxBits-1 {
		t.Fatalf("bins end at %d", prevHi)
	}
}

func TestSparseMergeMatchesDense(t *testing.T) {
	var a, b, all Histogram
	for i := range 3000 {
		d := time.Duration(i*i) * time.Microsecond / 7
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	m := sparseOf(&a).merge(sparseOf(&b))
	for _, p := range []float64{1, 25, 50, 75, 90, 99, 100} {
		if got, want := m.percentile(p), all.Percentile(p); got != want {
			t.Errorf("merged sparse p%v = %v, dense %v", p, got, want)
		}
	}
}
