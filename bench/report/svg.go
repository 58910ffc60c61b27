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

// lineChart draws lines over a shared x axis as an inline SVG, with the
// y unit at the top right and the legend below, wrapped to the width.
func lineChart(title, xLabel, yUnit string, xs []float64, lines []line) string {
	legendRows, legendAt := layoutLegend(lines)
	h := chartH + 16*(legendRows-1)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, chartW, h, chartW, h, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, padL, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="tick" text-anchor="end">%s</text>`, chartW-padR, esc(strings.TrimSpace(yUnit)))
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
	ystep := niceCeil(ymax / 4)
	ymax = 4 * ystep
	if xmax == xmin {
		xmax = xmin + 1
	}
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	px := func(x float64) float64 { return float64(padL) + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return float64(padT) + ph - y/ymax*ph }
	axes(&b, xmin, xmax, ymax, ystep, xLabel, px, py)
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
		lx, row := legendAt[i][0], legendAt[i][1]
		ly := chartH - 10 + 16*row
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="4" fill="%s"/><text x="%d" y="%d" class="legend">%s</text>`,
			lx, ly, l.color, lx+16, ly+5, esc(l.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// layoutLegend places each line's legend entry (x, row), wrapping rows at
// the chart's width, and returns the number of rows.
func layoutLegend(lines []line) (rows int, at [][2]int) {
	x, row := padL, 0
	for _, l := range lines {
		w := 16 + 7*len([]rune(l.name)) + 18
		if x+w > chartW-padR-70 && x > padL { // room for the x label
			x, row = padL, row+1
		}
		at = append(at, [2]int{x, row})
		x += w
	}
	return row + 1, at
}

// axes draws the frame, grid lines and tick labels: four y steps of ystep,
// x ticks at round numbers.
func axes(b *strings.Builder, xmin, xmax, ymax, ystep float64, xLabel string, px, py func(float64) float64) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>`, padL, padT, chartW-padL-padR, chartH-padT-padB)
	for y := 0.0; y <= ymax*1.0001; y += ystep {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, chartW-padR, py(y), py(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-4, py(y)+4, esc(tickLabel(y)))
	}
	xstep := niceCeil((xmax - xmin) / 6)
	for x := math.Ceil(xmin/xstep) * xstep; x <= xmax*1.0001; x += xstep {
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
