package report

import (
	"sync"
	"time"
)

// DefaultMaxBuckets bounds a Recorder's time buckets: past it, neighbouring
// buckets merge and the bucket width doubles, so a long run keeps the same
// memory as a short one.
const DefaultMaxBuckets = 600

// Recorder counts events and latencies in time buckets (one second wide to
// begin with) since its start, for throughput and percentiles over time. It
// is safe for concurrent use.
type Recorder struct {
	mu         sync.Mutex
	start      time.Time
	now        func() time.Time
	width      time.Duration
	maxBuckets int
	series     []*Series
	gauges     []*Gauge
	groups     []*Group
}

// NewRecorder starts a recorder at the current time.
func NewRecorder() *Recorder { return newRecorder(time.Now, time.Second, DefaultMaxBuckets) }

func newRecorder(now func() time.Time, width time.Duration, maxBuckets int) *Recorder {
	return &Recorder{start: now(), now: now, width: width, maxBuckets: max(maxBuckets, 2)}
}

// Start is when the recorder started.
func (r *Recorder) Start() time.Time { return r.start }

// Elapsed is the time since the recorder started.
func (r *Recorder) Elapsed() time.Duration { return r.now().Sub(r.start) }

// Series returns the latency series called name, making it on first use.
// Series appear in reports in the order they were made.
func (r *Recorder) Series(name string) *Series {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.series {
		if s.name == name {
			return s
		}
	}
	s := &Series{r: r, name: name}
	r.series = append(r.series, s)
	return s
}

// Gauge returns the gauge called name (unit for display), making it on
// first use.
func (r *Recorder) Gauge(name, unit string) *Gauge {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.gauges {
		if g.name == name {
			return g
		}
	}
	g := &Gauge{r: r, name: name, unit: unit}
	r.gauges = append(r.gauges, g)
	return g
}

// Group returns the keyed latency group called name, making it on first use.
func (r *Recorder) Group(name string) *Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.groups {
		if g.name == name {
			return g
		}
	}
	g := &Group{r: r, name: name, keys: make(map[string]*Histogram)}
	r.groups = append(r.groups, g)
	return g
}

// bucketLocked is the bucket index of the current time, merging buckets
// first when it would pass maxBuckets. r.mu is held.
func (r *Recorder) bucketLocked() int {
	i := int(r.now().Sub(r.start) / r.width)
	for i >= r.maxBuckets {
		r.coarsenLocked()
		i = int(r.now().Sub(r.start) / r.width)
	}
	return max(i, 0)
}

// coarsenLocked doubles the bucket width, merging buckets pairwise.
func (r *Recorder) coarsenLocked() {
	r.width *= 2
	for _, s := range r.series {
		s.flushLocked()
		merged := make([]bucket, (len(s.buckets)+1)/2)
		for i, b := range s.buckets {
			m := &merged[i/2]
			m.ok += b.ok
			m.failed += b.failed
			m.hist = m.hist.merge(b.hist)
		}
		s.buckets = merged
		s.curIdx /= 2
	}
	for _, g := range r.gauges {
		merged := make([]gaugeBucket, (len(g.buckets)+1)/2)
		for i, b := range g.buckets {
			merged[i/2].add(b)
		}
		g.buckets = merged
	}
}

// Series is one kind of timed operation: successes with their latency and
// failures, per time bucket and in total.
type Series struct {
	r       *Recorder
	name    string
	total   Histogram
	failed  uint64
	buckets []bucket // finished buckets, sparse
	cur     Histogram
	curIdx  int
	curFail uint64
}

type bucket struct {
	ok, failed uint64
	hist       sparse
}

// Observe counts one success that took d.
func (s *Series) Observe(d time.Duration) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.moveLocked(s.r.bucketLocked())
	s.cur.Record(d)
	s.total.Record(d)
}

// Fail counts one failure.
func (s *Series) Fail() {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.moveLocked(s.r.bucketLocked())
	s.curFail++
	s.failed++
}

// moveLocked makes bucket i the current one, flushing the one before.
func (s *Series) moveLocked(i int) {
	if i != s.curIdx {
		s.flushLocked()
		s.curIdx = i
	}
}

// flushLocked moves the current bucket's counts into buckets.
func (s *Series) flushLocked() {
	if s.cur.n == 0 && s.curFail == 0 {
		return
	}
	for len(s.buckets) <= s.curIdx {
		s.buckets = append(s.buckets, bucket{})
	}
	b := &s.buckets[s.curIdx]
	b.ok += s.cur.n
	b.failed += s.curFail
	b.hist = b.hist.merge(sparseOf(&s.cur))
	s.cur = Histogram{}
	s.curFail = 0
}

// Stats is what the series counted so far.
func (s *Series) Stats() Stats {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	return statsOf(s.name, &s.total, s.failed)
}

// Rate is the successes per second over the last finished bucket, or over
// the elapsed time before one has finished.
func (s *Series) Rate() float64 {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.moveLocked(s.r.bucketLocked())
	if s.curIdx == 0 || len(s.buckets) < s.curIdx {
		el := s.r.now().Sub(s.r.start).Seconds()
		if el <= 0 {
			return 0
		}
		return float64(s.total.n) / el
	}
	return float64(s.buckets[s.curIdx-1].ok) / s.r.width.Seconds()
}

// Gauge is a sampled value over time (the server's CPU share, its RSS):
// each bucket keeps the mean and the maximum of its samples.
type Gauge struct {
	r          *Recorder
	name, unit string
	buckets    []gaugeBucket
}

type gaugeBucket struct {
	n        int
	sum, max float64
}

func (b *gaugeBucket) add(o gaugeBucket) {
	if o.n == 0 {
		return
	}
	if b.n == 0 || o.max > b.max {
		b.max = o.max
	}
	b.n += o.n
	b.sum += o.sum
}

// Set records one sample.
func (g *Gauge) Set(v float64) {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	i := g.r.bucketLocked()
	for len(g.buckets) <= i {
		g.buckets = append(g.buckets, gaugeBucket{})
	}
	g.buckets[i].add(gaugeBucket{n: 1, sum: v, max: v})
}

// Group keeps one latency histogram per key (per destination, per
// receiving client) for the distribution across keys. Each key costs one
// Histogram (about 18 KB).
type Group struct {
	r    *Recorder
	name string
	keys map[string]*Histogram
}

// Observe counts latency d for key.
func (g *Group) Observe(key string, d time.Duration) {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	h := g.keys[key]
	if h == nil {
		h = new(Histogram)
		g.keys[key] = h
	}
	h.Record(d)
}

// ObserveAll counts one success per latency in ds, under one lock: for
// callers that record many at once (a transaction's PDUs).
func (s *Series) ObserveAll(ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.moveLocked(s.r.bucketLocked())
	for _, d := range ds {
		s.cur.Record(d)
		s.total.Record(d)
	}
}

// ObserveAll counts every latency in ds for key, under one lock.
func (g *Group) ObserveAll(key string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	h := g.keys[key]
	if h == nil {
		h = new(Histogram)
		g.keys[key] = h
	}
	for _, d := range ds {
		h.Record(d)
	}
}
