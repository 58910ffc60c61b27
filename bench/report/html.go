package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"os"
	"slices"
	"strings"
)

// RenderHTML is s as one self-contained HTML page: tables and inline SVG
// charts, no scripts and nothing fetched. The markup is also well-formed
// XML.
func RenderHTML(s *Summary) ([]byte, error) {
	var b bytes.Buffer
	if err := page.Execute(&b, view(s)); err != nil {
		return nil, fmt.Errorf("report: rendering HTML: %w", err)
	}
	return b.Bytes(), nil
}

// WriteHTML renders s to path.
func WriteHTML(path string, s *Summary) error {
	b, err := RenderHTML(s)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

type kv struct{ K, V string }

type pageView struct {
	S       *Summary
	Params  []kv
	Counts  []kv
	Errors  []kv
	Server  []kv
	Charts  []template.HTML
	Dists   []template.HTML
	Started string
}

func sortedKV[V any](m map[string]V, format func(V) string) []kv {
	var out []kv
	for k, v := range m {
		out = append(out, kv{k, format(v)})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.K, b.K) })
	return out
}

func view(s *Summary) pageView {
	v := pageView{S: s, Started: s.Started.UTC().Format("2006-01-02 15:04:05 UTC")}
	v.Params = sortedKV(s.Params, func(x string) string { return x })
	v.Counts = sortedKV(s.Counts, func(x int64) string { return fmt.Sprint(x) })
	v.Errors = sortedKV(s.Errors, func(x int64) string { return fmt.Sprint(x) })
	if sv := s.Server; sv != nil {
		v.Server = []kv{
			{"PID", fmt.Sprint(sv.PID)},
			{"CPU time", fmt.Sprintf("%.2f s (%.0f %% of one core)", sv.CPUSeconds, sv.CPUPercent)},
			{"CPU per " + sv.PerOp, fmt.Sprintf("%.0f µs", sv.CPUPerOp)},
			{"RSS max / end", fmt.Sprintf("%.1f / %.1f MiB", float64(sv.RSSMaxBytes)/(1<<20), float64(sv.RSSEndBytes)/(1<<20))},
		}
	}
	tl := s.Timeline
	var thr []line
	var xs []float64
	for i, st := range tl.Series {
		if len(st.Points) > len(xs) {
			xs = xs[:0]
			for _, p := range st.Points {
				xs = append(xs, p.T+tl.BucketSeconds)
			}
		}
		thr = append(thr, line{name: st.Name + "/s", color: palette[i%len(palette)], ys: pick(st.Points, func(p Point) float64 { return p.PerSecond })})
	}
	for _, st := range tl.Series {
		if fails := pick(st.Points, func(p Point) float64 { return float64(p.Failed) / max(tl.BucketSeconds, 1e-9) }); slices.ContainsFunc(fails, func(f float64) bool { return f > 0 }) {
			thr = append(thr, line{name: st.Name + " failed/s", color: palette[len(thr)%len(palette)], ys: fails})
		}
	}
	v.Charts = append(v.Charts, template.HTML(lineChart("Throughput", "seconds", "per second", xs, thr)))
	for _, st := range tl.Series {
		withData := func(f func(Point) float64) []float64 {
			return pick(st.Points, func(p Point) float64 {
				if p.Count == 0 {
					return math.NaN()
				}
				return f(p)
			})
		}
		lines := []line{
			{"p50", palette[0], withData(func(p Point) float64 { return p.P50 })},
			{"p90", palette[1], withData(func(p Point) float64 { return p.P90 })},
			{"p99", palette[3], withData(func(p Point) float64 { return p.P99 })},
		}
		v.Charts = append(v.Charts, template.HTML(lineChart(st.Name+" latency percentiles per bucket", "seconds", "ms", xs[:min(len(xs), len(st.Points))], lines)))
	}
	for i, g := range tl.Gauges {
		gx := make([]float64, len(g.Points))
		for j, p := range g.Points {
			gx[j] = p.T + tl.BucketSeconds
		}
		lines := []line{{g.Name, palette[(i+2)%len(palette)], nil}}
		for _, p := range g.Points {
			lines[0].ys = append(lines[0].ys, p.Mean)
		}
		v.Charts = append(v.Charts, template.HTML(lineChart(g.Name, "seconds", g.Unit, gx, lines)))
	}
	for _, d := range s.Distributions {
		ranks := make([]float64, len(d.Keys))
		p50, p99, mx := make([]float64, len(d.Keys)), make([]float64, len(d.Keys)), make([]float64, len(d.Keys))
		for i, k := range d.Keys {
			ranks[i] = float64(i + 1)
			p50[i], p99[i], mx[i] = k.P50, k.P99, k.Max
		}
		title := fmt.Sprintf("%s: %d keys ranked by p99", d.Name, len(d.Keys))
		v.Dists = append(v.Dists, template.HTML(lineChart(title, "rank", "ms", ranks,
			[]line{{"p50", palette[0], p50}, {"p99", palette[3], p99}, {"max", palette[7], mx}})))
	}
	return v
}

func pick(ps []Point, f func(Point) float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{"ms": Ms}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.S.Tool}} — {{.S.Target}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
table { border-collapse: collapse; margin: 4px 0 8px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
th { background: #f3f3f3; }
.outcome-ok { color: #0a7d32; font-weight: 600; } .outcome-bad { color: #b00020; font-weight: 600; }
.chart { display: block; margin: 8px 0 16px; background: #fff; }
.chart .title { font-size: 13px; font-weight: 600; fill: #222; }
.chart .tick, .chart .legend { font-size: 11px; fill: #555; } .chart .empty { fill: #999; }
.chart .frame { fill: none; stroke: #bbb; } .chart .grid { stroke: #eee; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>{{.S.Tool}} against {{.S.Target}}</h1>
<p class="muted">started {{.Started}}, measured {{printf "%.1f" .S.Seconds}} s</p>
<p>outcome: <span class="{{if eq .S.Outcome "ok"}}outcome-ok{{else}}outcome-bad{{end}}">{{.S.Outcome}}</span></p>
<h2>Latency</h2>
<table>
<tr><th>series</th><th>count</th><th>failed</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>
{{range .S.Latency}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td>{{.Failed}}</td><td>{{ms .Mean}}</td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P99}}</td><td>{{ms .Max}}</td></tr>
{{end}}</table>
{{if .Counts}}<h2>Counts</h2>
<table>{{range .Counts}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
<h2>Errors by errcode</h2>
{{if .Errors}}<table>{{range .Errors}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{else}}<p>none</p>{{end}}
{{if .Server}}<h2>Server process</h2>
<table>{{range .Server}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
<h2>Over time</h2>
{{range .Charts}}{{.}}
{{end}}{{if .Dists}}<h2>Distribution across destinations</h2>
{{range .Dists}}{{.}}
{{end}}{{end}}{{if .S.Notes}}<h2>Notes</h2>
<ul>{{range .S.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Parameters</h2>
<table>{{range .Params}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>
</body>
</html>
`))
