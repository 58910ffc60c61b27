package client

import (
	"strings"
	"testing"
)

// The TURN REST API credentials, checked against a vector computed apart
// (Python's hmac over the same inputs).
func TestTurnCredentials(t *testing.T) {
	user, pass := turnCredentials("turn-secret", 1700000000, "@alice:example.org")
	if user != "1700000000:@alice:example.org" || pass != "fHvbb+s9+AgL4jc4u/j0Y2J1z1Q=" {
		t.Fatalf("credentials %q %q", user, pass)
	}
}

func TestValidMXC(t *testing.T) {
	tests := map[string]bool{
		"mxc://example.org/abcDEF123_-":            true,
		"mxc://example.org:8448/x":                 true,
		"mxc://[::1]:8448/x":                       true,
		"mxc://example.org/":                       false,
		"mxc://example.org":                        false,
		"mxc:///media":                             false,
		"mxc://example.org/a/b":                    false,
		"mxc://example.org/a b":                    false,
		"https://example.org/a.png":                false,
		"MXC://example.org/a":                      false,
		"mxc://exa mple.org/a":                     false,
		"mxc://example.org/" + "%2e%2e":            false,
		"":                                         false,
		"mxc://" + strings.Repeat("a", 300) + "/x": false,
	}
	for in, want := range tests {
		if got := validMXC(in); got != want {
			t.Errorf("validMXC(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidKeyID(t *testing.T) {
	tests := map[string]bool{
		"signed_curve25519:AAAAHQ":      true,
		"ed25519:DEVICE":                true,
		"curve25519:":                   false,
		":AAAA":                         false,
		"nocolon":                       false,
		"":                              false,
		"a:" + strings.Repeat("b", 300): false,
	}
	for in, want := range tests {
		if got := validKeyID(in); got != want {
			t.Errorf("validKeyID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSameKeys(t *testing.T) {
	a := []byte(`{"keys":{"ed25519:x":"x"},"signatures":{"@a:b":{"ed25519:d":"s"}}}`)
	tests := []struct {
		b    string
		want bool
	}{
		{`{"keys":{"ed25519:x":"x"}}`, true},
		{`{"keys":{"ed25519:x":"y"}}`, false},
		{`{"keys":{"ed25519:x":"x","ed25519:z":"z"}}`, false},
		{`{"keys":{}}`, false},
		{`[]`, false},
	}
	for _, tc := range tests {
		if got := sameKeys(a, []byte(tc.b)); got != tc.want {
			t.Errorf("sameKeys(%s) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

func FuzzValidMXC(f *testing.F) {
	f.Add("mxc://example.org/abc")
	f.Add("mxc://[::1]:8448/x_-")
	f.Fuzz(func(t *testing.T, s string) {
		if !validMXC(s) {
			return
		}
		// Whatever passes has the shape mxc://server/media with a media ID
		// of URL-safe characters only.
		rest := strings.TrimPrefix(s, "mxc://")
		i := strings.LastIndexByte(rest, '/')
		if !strings.HasPrefix(s, "mxc://") || i <= 0 || i == len(rest)-1 || strings.ContainsAny(rest[i+1:], "/?#% ") {
			t.Fatalf("validMXC accepted %q", s)
		}
	})
}
