package report

import (
	"fmt"
	"io"
)

// WriteLatencyText prints s's latency series as a table for people, the
// series names padded to nameWidth.
func WriteLatencyText(out io.Writer, s *Summary, nameWidth int) {
	fmt.Fprintf(out, "\n%-*s %9s %7s %9s %9s %9s %9s %9s\n", nameWidth, "series", "count", "failed", "rate/s", "p50", "p90", "p99", "max")
	for _, st := range s.Latency {
		fmt.Fprintf(out, "%-*s %9d %7d %9.1f %9s %9s %9s %9s\n", nameWidth, st.Name, st.Count, st.Failed, float64(st.Count)/max(s.Seconds, 1e-9),
			Ms(st.P50), Ms(st.P90), Ms(st.P99), Ms(st.Max))
	}
}

// WriteTailText prints the end of a summary for people: the errors by
// code, the target process's figures (its CPU per operation with
// perOpDecimals decimals) and the notes.
func WriteTailText(out io.Writer, s *Summary, perOpDecimals int) {
	if len(s.Errors) > 0 {
		fmt.Fprint(out, "errors:")
		for code, n := range s.Errors {
			fmt.Fprintf(out, " %s=%d", code, n)
		}
		fmt.Fprintln(out)
	}
	if sv := s.Server; sv != nil {
		fmt.Fprintf(out, "server pid %d: CPU %.2f s (%.0f%% of one core), %.*f µs per %s, RSS max %.1f MiB\n",
			sv.PID, sv.CPUSeconds, sv.CPUPercent, perOpDecimals, sv.CPUPerOp, sv.PerOp, float64(sv.RSSMaxBytes)/(1<<20))
	}
	for _, n := range s.Notes {
		fmt.Fprintln(out, n)
	}
}
