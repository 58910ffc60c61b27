package report

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"
)

// Stats summarises one latency series. Times are milliseconds.
type Stats struct {
	Name   string  `json:"name"`
	Count  uint64  `json:"count"`
	Failed uint64  `json:"failed,omitempty"`
	Mean   float64 `json:"mean_ms"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

func statsOf(name string, h *Histogram, failed uint64) Stats {
	return Stats{
		Name: name, Count: h.n, Failed: failed, Mean: ms(h.Mean()),
		P50: ms(h.Percentile(50)), P90: ms(h.Percentile(90)), P99: ms(h.Percentile(99)), Max: ms(h.max),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Point is one time bucket of a series. T is the bucket's start in seconds
// since the recorder started; PerSecond divides Count by the part of the
// bucket that had passed.
type Point struct {
	T         float64 `json:"t"`
	Count     uint64  `json:"count"`
	Failed    uint64  `json:"failed,omitempty"`
	PerSecond float64 `json:"per_second"`
	P50       float64 `json:"p50_ms"`
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// GaugePoint is one time bucket of a gauge.
type GaugePoint struct {
	T    float64 `json:"t"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// SeriesTimeline is a series over time.
type SeriesTimeline struct {
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// GaugeTimeline is a gauge over time.
type GaugeTimeline struct {
	Name   string       `json:"name"`
	Unit   string       `json:"unit"`
	Points []GaugePoint `json:"points"`
}

// Timeline is every series and gauge in buckets of BucketSeconds.
type Timeline struct {
	BucketSeconds float64          `json:"bucket_seconds"`
	Series        []SeriesTimeline `json:"series"`
	Gauges        []GaugeTimeline  `json:"gauges,omitempty"`
}

// Distribution is a Group: one Stats per key, sorted by p99 then key.
type Distribution struct {
	Name string  `json:"name"`
	Keys []Stats `json:"keys"`
}

// Server is what was measured of the target process (given its PID).
type Server struct {
	PID        int     `json:"pid"`
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent_of_one_core"`
	// CPUPerOp is server CPU time per operation named by PerOp, in µs.
	CPUPerOp    float64 `json:"cpu_us_per_op"`
	PerOp       string  `json:"per_op"`
	RSSMaxBytes int64   `json:"rss_max_bytes"`
	RSSEndBytes int64   `json:"rss_end_bytes"`
}

// Summary is a run's result: what the JSON file holds and the HTML report
// draws. The tool fills Tool, Target, Params, Counts, Errors, Server and
// Outcome; Recorder.Fill adds the latencies, the timeline and the
// distributions.
type Summary struct {
	Tool    string            `json:"tool"`
	Target  string            `json:"target"`
	Started time.Time         `json:"started"`
	Seconds float64           `json:"seconds"`
	Params  map[string]string `json:"params,omitempty"`
	// Outcome is "ok", or why the run stopped or failed its checks.
	Outcome       string           `json:"outcome"`
	Counts        map[string]int64 `json:"counts,omitempty"`
	Errors        map[string]int64 `json:"errors_by_code,omitempty"`
	Latency       []Stats          `json:"latency"`
	Server        *Server          `json:"server,omitempty"`
	Timeline      Timeline         `json:"timeline"`
	Distributions []Distribution   `json:"distributions,omitempty"`
	Notes         []string         `json:"notes,omitempty"`
}

// Fill sets s's start, length, latencies, timeline and distributions from
// what r recorded so far.
func (r *Recorder) Fill(s *Summary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := r.now().Sub(r.start)
	s.Started, s.Seconds = r.start, elapsed.Seconds()
	s.Latency = s.Latency[:0]
	s.Timeline = Timeline{BucketSeconds: r.width.Seconds()}
	last := r.bucketLocked()
	width := r.width.Seconds()
	// The bucket the clock is in counts once some of it has passed.
	n := last
	if elapsed > time.Duration(last)*r.width {
		n++
	}
	for _, ser := range r.series {
		ser.moveLocked(last)
		ser.flushLocked()
		s.Latency = append(s.Latency, statsOf(ser.name, &ser.total, ser.failed))
		st := SeriesTimeline{Name: ser.name}
		for i := range n {
			p := Point{T: float64(i) * width}
			if i < len(ser.buckets) {
				b := ser.buckets[i]
				p.Count, p.Failed = b.ok, b.failed
				p.P50, p.P90, p.P99 = ms(b.hist.percentile(50)), ms(b.hist.percentile(90)), ms(b.hist.percentile(99))
				p.Max = ms(b.hist.max)
			}
			span := min(width, elapsed.Seconds()-p.T)
			if span > 0 {
				p.PerSecond = float64(p.Count) / span
			}
			st.Points = append(st.Points, p)
		}
		s.Timeline.Series = append(s.Timeline.Series, st)
	}
	for _, g := range r.gauges {
		gt := GaugeTimeline{Name: g.name, Unit: g.unit}
		for i, b := range g.buckets {
			if b.n > 0 {
				gt.Points = append(gt.Points, GaugePoint{T: float64(i) * width, Mean: b.sum / float64(b.n), Max: b.max})
			}
		}
		s.Timeline.Gauges = append(s.Timeline.Gauges, gt)
	}
	s.Distributions = s.Distributions[:0]
	for _, g := range r.groups {
		d := Distribution{Name: g.name}
		for k, h := range g.keys {
			d.Keys = append(d.Keys, statsOf(k, h, 0))
		}
		slices.SortFunc(d.Keys, func(a, b Stats) int {
			if a.P99 != b.P99 {
				if a.P99 < b.P99 {
					return -1
				}
				return 1
			}
			if a.Name < b.Name {
				return -1
			}
			return 1
		})
		s.Distributions = append(s.Distributions, d)
	}
}

// WriteJSON writes s, indented, to path.
func WriteJSON(path string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encoding summary: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
