package configs

import (
	"errors"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"52428800", 52428800, nil},
		{"50M", 50 << 20, nil},
		{"50m", 50 << 20, nil},
		{"50MB", 50 << 20, nil},
		{"50MiB", 50 << 20, nil},
		{"10K", 10 << 10, nil},
		{"2G", 2 << 30, nil},
		{"1T", 1 << 40, nil},
		{"100B", 100, nil},
		{"0", 0, nil},
		{"", 0, ErrInvalid},
		{"B", 0, ErrInvalid},
		{"iB", 0, ErrInvalid},
		{"100iB", 0, ErrInvalid},
		{"-5M", 0, ErrInvalid},
		{"1.5M", 0, ErrInvalid},
		{"50X", 0, ErrInvalid},
		{"9999999999T", 0, ErrInvalid},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseByteSize(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && int64(got) != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		b    ByteSize
		want string
	}{
		{0, "0"},
		{50 << 20, "50M"},
		{1536, "1536"},
		{2048, "2K"},
		{1 << 30, "1G"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.b), got, tt.want)
		}
	}
}

// FuzzParseByteSize: whatever parses is non-negative and survives a round
// trip through String.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"50M", "52428800", "10KiB", "1T", "-1", "B", "iB", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d, negative", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("round trip of %q: %q -> %d, %v", s, b.String(), back, err)
		}
	})
}
