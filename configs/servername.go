package configs

import (
	"fmt"
	"strings"

	"github.com/axonhs/axon/rooms/ids"
)

// CheckServerName reports whether s is a server name by the grammar of the
// spec's appendices, "Server Name" (hostname [":" port], the hostname an
// IPv4 literal, a bracketed IPv6 literal or a DNS name), using the same
// parser as every Matrix identifier in Axon (rooms/ids), so that a name the
// config accepts is one user IDs can carry. Beyond the grammar it refuses
// port 0, which no server can be reached on.
func CheckServerName(s string) error {
	if _, err := ids.ParseServerName(s); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.HasSuffix(s, "]") && strings.Trim(s[i+1:], "0") == "" {
		return fmt.Errorf("%w: %q: port 0", ErrInvalid, s)
	}
	return nil
}

// checkDNSName checks a listener's host: dns-name = 1*255 of DIGIT, ALPHA,
// "-" and "." (appendices, "Server Name").
func checkDNSName(s string) error {
	if len(s) < 1 || len(s) > 255 {
		return fmt.Errorf("hostname must be 1 to 255 characters")
	}
	for i := range len(s) {
		c := s[i]
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || c == '.') {
			return fmt.Errorf("character %q not allowed in a hostname", c)
		}
	}
	return nil
}
