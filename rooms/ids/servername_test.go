package ids

import (
	"errors"
	"strings"
	"testing"
)

func TestParseServerName(t *testing.T) {
	tests := []struct {
		rule, in string
		host     string
		port     int // -1: none
		literal  bool
		err      error
	}{
		{rule: "spec example: dns-name", in: "matrix.org", host: "matrix.org", port: -1},
		{rule: "spec example: dns-name with port", in: "matrix.org:8888", host: "matrix.org", port: 8888},
		{rule: "spec example: IPv4address", in: "1.2.3.4", host: "1.2.3.4", port: -1, literal: true},
		{rule: "spec example: IPv4address with port", in: "1.2.3.4:1234", host: "1.2.3.4", port: 1234, literal: true},
		{rule: "spec example: IPv6address", in: "[1234:5678::abcd]", host: "1234:5678::abcd", port: -1, literal: true},
		{rule: "spec example: IPv6address with port", in: "[1234:5678::abcd]:5678", host: "1234:5678::abcd", port: 5678, literal: true},
		{rule: "IPv6char includes '.' (embedded IPv4)", in: "[::ffff:1.2.3.4]", host: "::ffff:1.2.3.4", port: -1, literal: true},
		{rule: "IPv6char upper-case hex", in: "[ABCD::1]", host: "ABCD::1", port: -1, literal: true},
		{rule: "dns-char: digits, letters, '-'", in: "my-Server.example42", host: "my-Server.example42", port: -1},
		{rule: "dns-name may be all digits", in: "12345", host: "12345", port: -1},
		{rule: "port = 1*5DIGIT", in: "a:0", host: "a", port: 0},
		{rule: "port up to 65535", in: "a:65535", host: "a", port: 65535},
		{rule: "dns-name up to 255 dns-char", in: strings.Repeat("a", 255), host: strings.Repeat("a", 255), port: -1},

		{rule: "hostname required", in: "", err: ErrServerName},
		{rule: "hostname required before port", in: ":80", err: ErrServerName},
		{rule: "dns-char excludes '_'", in: "my_server.org", err: ErrServerName},
		{rule: "dns-char excludes non-ASCII", in: "exämple.org", err: ErrServerName},
		{rule: "dns-name at most 255", in: strings.Repeat("a", 256), err: ErrServerName},
		{rule: "port must not be empty", in: "matrix.org:", err: ErrServerName},
		{rule: "port is digits", in: "matrix.org:8a", err: ErrServerName},
		{rule: "port at most 5 digits", in: "matrix.org:000080", err: ErrServerName},
		{rule: "port fits 16 bits", in: "matrix.org:65536", err: ErrServerName},
		{rule: "only one port", in: "matrix.org:1:2", err: ErrServerName},
		{rule: "IPv4 octets 0 to 255", in: "1.2.3.256", err: ErrServerName},
		{rule: "IPv6 must be bracketed", in: "1234:5678::abcd", err: ErrServerName},
		{rule: "IPv6 bracket must close", in: "[::1", err: ErrServerName},
		{rule: "IPv6 at least 2 chars", in: "[:]", err: ErrServerName},
		{rule: "IPv6 must be RFC 3513", in: "[1:2:3]", err: ErrServerName},
		{rule: "IPv6 is not IPv4", in: "[1.2.3.4]", err: ErrServerName},
		{rule: "IPv6char excludes zone '%'", in: "[fe80::1%eth0]", err: ErrServerName},
		{rule: "nothing but port after ]", in: "[::1]x", err: ErrServerName},
		{rule: "empty port after ]", in: "[::1]:", err: ErrServerName},
		{rule: "no whitespace", in: "matrix.org ", err: ErrServerName},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseServerName(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("ParseServerName(%q) = %q, %v; want %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.in {
				t.Fatalf("ParseServerName(%q) = %q, %v", tc.in, got, err)
			}
			if got.Host() != tc.host {
				t.Errorf("Host() = %q, want %q", got.Host(), tc.host)
			}
			port, ok := got.Port()
			if (tc.port >= 0) != ok || (ok && port != tc.port) {
				t.Errorf("Port() = %d, %v; want %d", port, ok, tc.port)
			}
			if got.IsIPLiteral() != tc.literal {
				t.Errorf("IsIPLiteral() = %v, want %v", got.IsIPLiteral(), tc.literal)
			}
		})
	}
}

// "Server names must be treated case-sensitively".
func TestServerNameCaseSensitive(t *testing.T) {
	a, _ := ParseUserID("@user:matrix.org")
	b, _ := ParseUserID("@user:MATRIX.ORG")
	if a == b || a.Server() == b.Server() {
		t.Errorf("%s and %s compare equal", a, b)
	}
}
