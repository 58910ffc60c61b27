package configs

import "testing"

// Cases from the grammar in the spec's appendices, "Server Name".
func TestCheckServerName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"matrix.org", true},
		{"matrix.org:8888", true},
		{"1.2.3.4", true},
		{"1.2.3.4:1234", true},
		{"[1234:5678::abcd]", true},
		{"[1234:5678::abcd]:5678", true},
		{"localhost", true},
		{"localhost:8008", true},
		{"a-b.c", true},
		{"", false},
		{":8008", false},
		{"matrix.org:", false},
		{"matrix.org:123456", false},
		{"matrix.org:0", false},
		{"matrix.org:65536", false},
		{"matrix.org:80a", false},
		{"matrix_org", false},
		{"mätrix.org", false},
		{"[1234:5678::abcd", false},
		{"[1234:5678::abcd]x", false},
		{"[1234:5678::abcd]:", false},
		{"[g::1]", false},
		{"[]", false},
		{"256.1.1.1", false},
		{"[::1]:0", false},
		{"example.org:00", false},
		{"example.org:80:80", false},
		{"@alice:example.org", false},
	}
	for _, tt := range tests {
		if err := CheckServerName(tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckServerName(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func FuzzCheckServerName(f *testing.F) {
	for _, s := range []string{"matrix.org:8448", "[::1]:1", "1.2.3.4", "", "[", "a:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckServerName(s) != nil {
			return
		}
		for i := range len(s) {
			if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '@' || s[i] == '/' {
				t.Fatalf("accepted %q with byte %q", s, s[i])
			}
		}
	})
}
