package proc

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		// Fields 14 and 15 (utime 250, stime 50 ticks) after an ordinary name.
		{"1234 (axon) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1000 0 0", 3 * time.Second, true},
		// A name with spaces and a ')' must not shift the fields.
		{"99 (we ird) (x)) R 1 2 3 4 5 6 7 8 9 10 7 3 0 0", 100 * time.Millisecond, true},
		{"99 axon S 1", 0, false},
		{"99 (axon) S 1 2 3", 0, false},
		{"99 (axon) S 1 2 3 4 5 6 7 8 9 10 x 3", 0, false},
		{"1 ((x)) R 1 2 3 4 5 6 7 8 9 10 18446744073709551615 1", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseStat(tt.line)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStat(%q) = %v, %v; want %v ok=%t", tt.line, got, err, tt.want, tt.ok)
		}
	}
	if _, err := CPU(os.Getpid()); err != nil {
		t.Errorf("CPU(self): %v", err)
	}
	if _, err := CPU(-1); err == nil {
		t.Error("CPU(-1) read something")
	}
}

func TestParseStatusRSS(t *testing.T) {
	tests := []struct {
		text string
		want int64
		ok   bool
	}{
		{"Name:\taxon\nVmPeak:\t 9000 kB\nVmRSS:\t    2048 kB\nRssAnon:\t 1 kB\n", 2 << 20, true},
		{"VmRSS:\t0 kB\n", 0, true},
		{"Name:\taxon\n", 0, false},
		{"VmRSS:\t12 MB\n", 0, false},
		{"VmRSS:\t-5 kB\n", 0, false},
		{"VmRSS:\t99999999999999999999 kB\n", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseStatusRSS(tt.text)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStatusRSS(%q) = %d, %v; want %d ok=%t", tt.text, got, err, tt.want, tt.ok)
		}
	}
	if rss, err := RSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("RSS(self) = %d, %v", rss, err)
	}
}

// FuzzParseStat: no input panics, and a parsed time is never negative.
func FuzzParseStat(f *testing.F) {
	f.Add("1234 (axon) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1000 0 0")
	f.Add(")")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseStat(s); err == nil && d < 0 {
			t.Fatalf("ParseStat(%q) = %v", s, d)
		}
	})
}

// FuzzParseStatusRSS: no input panics, and a parsed size is never negative.
func FuzzParseStatusRSS(f *testing.F) {
	f.Add("VmRSS:\t    2048 kB\n")
	f.Add("VmRSS:")
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseStatusRSS(s); err == nil && n < 0 {
			t.Fatalf("ParseStatusRSS(%q) = %d", s, n)
		}
	})
}
