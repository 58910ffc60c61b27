package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// line is one plotted series of a chart: ys[i] at xs[i]; NaN leaves a gap.
type line struct {
	name  string
	color string
	ys    []float64
}

// palette is colour-blind-safe (Okabe–Ito).
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"}

const (
	chartW, chartH = 760, 260
	padL, padR     = 64, 16
	padT, padB     = 28, 40
)

// lineChart draws lines over a shared x axis as an inline SVG.
func lineChart(title, xLabel, yUnit string, xs []float64, lines []line) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, chartW, chartH, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, padL, esc(title))
	xmin, xmax := bounds(xs)
	ymax := 0.0
	for _, l := range lines {
		for _, y := range l.ys {
			if !math.IsNaN(y) {
				ymax = max(ymax, y)
			}
		}
	}
	if len(xs) == 0 || ymax == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">no data</text></svg>`, chartW/2-30, chartH/2)
		return b.String()
	}
	ymax = niceCeil(ymax)
	if xmax == xmin {
		xmax = xmin + 1
	}
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	px := func(x float64) float64 { return float64(padL) + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return float64(padT) + ph - y/ymax*ph }
	axes(&b, xmin, xmax, ymax, xLabel, yUnit, px, py)
	for i, l := range lines {
		var d strings.Builder
		pen := false
		for j, y := range l.ys {
			if j >= len(xs) || math.IsNaN(y) {
				pen = false
				continue
			}
			if pen {
				d.WriteString(" L")
			} else {
				d.WriteString(" M")
			}
			fmt.Fprintf(&d, "%.1f %.1f", px(xs[j]), py(y))
			pen = true
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.8"><title>%s</title></path>`, strings.TrimSpace(d.String()), l.color, esc(l.name))
		lx := padL + 8 + i*130
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="4" fill="%s"/><text x="%d" y="%d" class="legend">%s</text>`,
			lx, chartH-10, l.color, lx+16, chartH-5, esc(l.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// axes draws the frame, grid lines and tick labels.
func axes(b *strings.Builder, xmin, xmax, ymax float64, xLabel, yUnit string, px, py func(float64) float64) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>`, padL, padT, chartW-padL-padR, chartH-padT-padB)
	for i := 0; i <= 4; i++ {
		y := ymax * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, chartW-padR, py(y), py(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-4, py(y)+4, esc(tickLabel(y)+yUnit))
	}
	for i := 0; i <= 5; i++ {
		x := xmin + (xmax-xmin)*float64(i)/5
		fmt.Fprintf(b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, px(x), chartH-padB+14, esc(tickLabel(x)))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" class="tick" text-anchor="end">%s</text>`, chartW-padR, chartH-padB+28, esc(xLabel))
}

func bounds(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 1
	}
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func tickLabel(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case math.Abs(v) >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func esc(s string) string { return html.EscapeString(s) }
