package report

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	s := &Summary{
		Seconds: 2,
		Latency: []Stats{{Name: "send", Count: 10, Failed: 1, P50: 1, P90: 2, P99: 3, Max: 4}},
		Errors:  map[string]int64{"M_LIMIT_EXCEEDED": 3},
		Server:  &Server{PID: 9, CPUSeconds: 1.5, CPUPercent: 75, CPUPerOp: 12.345, PerOp: "operation", RSSMaxBytes: 3 << 20},
		Notes:   []string{"a note"},
	}
	tests := []struct {
		name  string
		write func(*strings.Builder)
		want  string
	}{
		{"table", func(b *strings.Builder) { WriteLatencyText(b, s, 6) },
			"\nseries     count  failed    rate/s       p50       p90       p99       max\n" +
				"send          10       1       5.0    1.00ms    2.00ms    3.00ms    4.00ms\n"},
		{"tail, 2 decimals", func(b *strings.Builder) { WriteTailText(b, s, 2) },
			"errors: M_LIMIT_EXCEEDED=3\nserver pid 9: CPU 1.50 s (75% of one core), 12.35 µs per operation, RSS max 3.0 MiB\na note\n"},
		{"tail, 0 decimals", func(b *strings.Builder) { WriteTailText(b, s, 0) },
			"errors: M_LIMIT_EXCEEDED=3\nserver pid 9: CPU 1.50 s (75% of one core), 12 µs per operation, RSS max 3.0 MiB\na note\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		tt.write(&b)
		if got := b.String(); got != tt.want {
			t.Errorf("%s:\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}
