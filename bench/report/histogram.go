package report

import (
	"math/bits"
	"time"
)

// The histogram is log-linear, like HdrHistogram: values below subCount
// nanoseconds have a bin each; above, every power of two is split into
// halfCount equal bins, so a bin is at most 1/halfCount of its lower bound
// wide and a percentile read back at the bin's middle is within
// 1/(2·halfCount) ≈ 0.8 % of the recorded value. Values from 2^maxBits ns
// (about 18 minutes) up are counted in the last bin.
const (
	subBits   = 7
	subCount  = 1 << subBits
	halfCount = subCount / 2
	maxBits   = 40
	numBins   = subCount + (maxBits-subBits)*halfCount
)

// binOf is the bin of a value in nanoseconds.
func binOf(v int64) int {
	if v <= 0 {
		return 0
	}
	if v >= 1<<maxBits {
		v = 1<<maxBits - 1
	}
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits
	return subCount + (shift-1)*halfCount + int(v>>shift) - halfCount
}

// binRange is the smallest and largest value that fall into bin b.
func binRange(b int) (lo, hi int64) {
	if b < subCount {
		return int64(b), int64(b)
	}
	k := b - subCount
	shift := k/halfCount + 1
	m := int64(k%halfCount + halfCount)
	return m << shift, (m+1)<<shift - 1
}

// Histogram counts latencies in bounded memory (numBins counters) and
// answers percentiles within 0.8 %, exact below 128 ns, and exact minimum
// and maximum. The zero value is empty and ready; it is not safe for
// concurrent use.
type Histogram struct {
	counts   [numBins]uint64
	n        uint64
	sum      time.Duration
	min, max time.Duration
}

// Record counts one latency; negative values count as 0.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[binOf(int64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += d
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average recorded value.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100): the
// smallest recorded value with at least p % of the values at or below it,
// read back at its bin's middle and kept within the recorded minimum and
// maximum. An empty histogram answers 0.
func (h *Histogram) Percentile(p float64) time.Duration {
	return percentileOf(h.n, h.min, h.max, func(yield func(bin int, n uint64) bool) {
		for b, c := range h.counts {
			if c > 0 && !yield(b, c) {
				return
			}
		}
	}, p)
}

// rank is the 1-based nearest rank of percentile p among n values.
func rank(n uint64, p float64) uint64 {
	r := uint64(p/100*float64(n) + 0.999999999)
	return min(max(r, 1), n)
}

func percentileOf(n uint64, lo, hi time.Duration, bins func(func(int, uint64) bool), p float64) time.Duration {
	if n == 0 {
		return 0
	}
	want := rank(n, p)
	if want == n {
		return hi
	}
	var seen uint64
	var out time.Duration
	bins(func(b int, c uint64) bool {
		seen += c
		if seen < want {
			return true
		}
		l, h := binRange(b)
		out = time.Duration(l + (h-l)/2)
		return false
	})
	return min(max(out, lo), hi)
}

// sparse is a histogram's nonzero bins in bin order: what a finished time
// bucket keeps, since a second's latencies fill few bins.
type sparse struct {
	bins     []binCount
	n        uint64
	min, max time.Duration
}

type binCount struct {
	bin uint16
	n   uint32
}

// sparseOf compacts h.
func sparseOf(h *Histogram) sparse {
	s := sparse{n: h.n, min: h.min, max: h.max}
	for b, c := range h.counts {
		for c > 0 {
			k := min(c, 1<<32-1)
			s.bins = append(s.bins, binCount{bin: uint16(b), n: uint32(k)})
			c -= k
		}
	}
	return s
}

// merge is the union of two sparse histograms.
func (s sparse) merge(o sparse) sparse {
	switch {
	case o.n == 0:
		return s
	case s.n == 0:
		return o
	}
	out := sparse{n: s.n + o.n, min: min(s.min, o.min), max: max(s.max, o.max)}
	out.bins = make([]binCount, 0, len(s.bins)+len(o.bins))
	i, j := 0, 0
	for i < len(s.bins) || j < len(o.bins) {
		switch {
		case j == len(o.bins) || (i < len(s.bins) && s.bins[i].bin < o.bins[j].bin):
			out.bins = append(out.bins, s.bins[i])
			i++
		case i == len(s.bins) || o.bins[j].bin < s.bins[i].bin:
			out.bins = append(out.bins, o.bins[j])
			j++
		default:
			a, b := s.bins[i], o.bins[j]
			if uint64(a.n)+uint64(b.n) < 1<<32 {
				out.bins = append(out.bins, binCount{bin: a.bin, n: a.n + b.n})
			} else {
				out.bins = append(out.bins, a, b)
			}
			i, j = i+1, j+1
		}
	}
	return out
}

func (s sparse) percentile(p float64) time.Duration {
	return percentileOf(s.n, s.min, s.max, func(yield func(int, uint64) bool) {
		for _, bc := range s.bins {
			if !yield(int(bc.bin), uint64(bc.n)) {
				return
			}
		}
	}, p)
}
