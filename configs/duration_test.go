package configs

import (
	"errors"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  error
	}{
		{"30s", 30 * time.Second, nil},
		{"5m", 5 * time.Minute, nil},
		{"1h30m", 90 * time.Minute, nil},
		{"250ms", 250 * time.Millisecond, nil},
		{"7d", 7 * 24 * time.Hour, nil},
		{"2w", 14 * 24 * time.Hour, nil},
		{"1y", 365 * 24 * time.Hour, nil},
		{"1500", 1500 * time.Millisecond, nil}, // bare integer: milliseconds, as Synapse
		{"0", 0, nil},
		{" 10s ", 10 * time.Second, nil},
		{"", 0, ErrInvalid},
		{"-5s", 0, ErrInvalid},
		{"-1", 0, ErrInvalid},
		{"1.5d", 0, ErrInvalid},
		{"d", 0, ErrInvalid},
		{"ten seconds", 0, ErrInvalid},
		{"99999999999999999d", 0, ErrInvalid},
		{"9223372036854775807", 0, ErrInvalid},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseDuration(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && got.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got.Std(), tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{5 * time.Minute, "5m0s"},
		{24 * time.Hour, "1d"},
		{14 * 24 * time.Hour, "2w"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// FuzzParseDuration: whatever parses is non-negative and survives a round
// trip through String.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "7d", "1500", "-1s", "1h30m", "2w", "1y", "", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d.Std())
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %q -> %v, %v", s, d.String(), back.Std(), err)
		}
	})
}
