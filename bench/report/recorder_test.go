package report

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the recorder.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestRecorderBuckets(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := newRecorder(clk.now, time.Second, 100)
	send := r.Series("send")
	// Second 0: 10 sends of 1 ms; second 1: nothing; second 2: 5 of 4 ms
	// and 2 failures.
	for range 10 {
		send.Observe(time.Millisecond)
	}
	clk.advance(2 * time.Second)
	for range 5 {
		send.Observe(4 * time.Millisecond)
	}
	send.Fail()
	send.Fail()
	clk.advance(500 * time.Millisecond)
	var s Summary
	r.Fill(&s)
	pts := s.Timeline.Series[0].Points
	if len(pts) != 3 {
		t.Fatalf("%d points, want 3: %+v", len(pts), pts)
	}
	want := []struct {
		count, failed uint64
		perSec, p99   float64
	}{{10, 0, 10, 1}, {0, 0, 0, 0}, {5, 2, 10, 4}}
	for i, w := range want {
		p := pts[i]
		if p.Count != w.count || p.Failed != w.failed || !near(p.PerSecond, w.perSec) || !near(p.P99, w.p99) {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
	}
	if st := s.Latency[0]; st.Count != 15 || st.Failed != 2 || !near(st.P50, 1) || !near(st.Max, 4) || s.Seconds != 2.5 {
		t.Errorf("stats %+v seconds %v", st, s.Seconds)
	}
}

func near(a, b float64) bool { return a >= b*(1-1.0/128) && a <= b*(1+1.0/128) }

func TestRecorderCoarsensToStayBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := newRecorder(clk.now, time.Second, 8)
	s := r.Series("op")
	cpu := r.Gauge("cpu", "%")
	for sec := range 40 {
		for range sec + 1 {
			s.Observe(time.Duration(sec+1) * time.Millisecond)
		}
		cpu.Set(float64(sec))
		clk.advance(time.Second)
	}
	var sum Summary
	r.Fill(&sum)
	if sum.Timeline.BucketSeconds != 8 {
		t.Fatalf("bucket width %vs after 40 s with 8 buckets, want 8 s", sum.Timeline.BucketSeconds)
	}
	pts := sum.Timeline.Series[0].Points
	if len(pts) > 8 {
		t.Fatalf("%d buckets, bound is 8", len(pts))
	}
	var total uint64
	for _, p := range pts {
		total += p.Count
	}
	if total != 40*41/2 || sum.Latency[0].Count != total {
		t.Errorf("counts %d/%d after coarsening, want %d", total, sum.Latency[0].Count, 40*41/2)
	}
	// The first 8-second bucket holds seconds 0..7: 1+…+8 = 36 values, its
	// largest 8 ms.
	if pts[0].Count != 36 || !near(pts[0].Max, 8) {
		t.Errorf("first bucket %+v", pts[0])
	}
	g := sum.Timeline.Gauges[0].Points
	if g[0].Mean != 3.5 || g[0].Max != 7 {
		t.Errorf("first gauge bucket %+v, want mean 3.5 max 7", g[0])
	}
}

func TestGroupDistribution(t *testing.T) {
	r := NewRecorder()
	g := r.Group("delivery by destination")
	for i := range 100 {
		g.Observe("slow", time.Duration(10+i)*time.Millisecond)
		g.Observe("fast", time.Duration(1+i%3)*time.Millisecond)
	}
	var s Summary
	r.Fill(&s)
	keys := s.Distributions[0].Keys
	if len(keys) != 2 || keys[0].Name != "fast" || keys[1].Name != "slow" || keys[1].Count != 100 || !near(keys[1].P99, 108) {
		t.Errorf("distribution %+v", keys)
	}
}

func TestConcurrentRecording(t *testing.T) {
	r := NewRecorder()
	s := r.Series("x")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				s.Observe(time.Duration(w*1000 + i))
			}
		}()
	}
	wg.Wait()
	if st := s.Stats(); st.Count != 4000 {
		t.Errorf("count %d", st.Count)
	}
}

// ObserveAll counts the same as one Observe per latency.
func TestObserveAllMatchesObserve(t *testing.T) {
	r := NewRecorder()
	one, all := r.Series("one"), r.Series("all")
	g := r.Group("g")
	var ds []time.Duration
	for i := range 500 {
		d := time.Duration(i*i) * time.Microsecond
		ds = append(ds, d)
		one.Observe(d)
		g.Observe("one", d)
	}
	all.ObserveAll(ds)
	g.ObserveAll("all", ds)
	all.ObserveAll(nil)
	if a, b := one.Stats(), all.Stats(); a.Count != b.Count || a.P99 != b.P99 || a.Max != b.Max || a.Mean != b.Mean {
		t.Errorf("Observe %+v, ObserveAll %+v", a, b)
	}
	var s Summary
	r.Fill(&s)
	keys := s.Distributions[0].Keys
	if len(keys) != 2 || keys[0].Count != 500 || keys[0].P99 != keys[1].P99 {
		t.Errorf("group %+v", keys)
	}
}
