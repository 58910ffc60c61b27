package ids

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ServerName identifies a homeserver: hostname [":" port] (appendices.md
// "Server Name"). Server names are case-sensitive.
type ServerName string

// ParseServerName checks s against the grammar of appendices.md "Server
// Name":
//
//	server_name = hostname [ ":" port ]
//	port        = 1*5DIGIT
//	hostname    = IPv4address / "[" IPv6address "]" / dns-name
//
// IPv4 literals must be four decimal numbers from 0 to 255; IPv6 literals
// must be valid RFC 3513 addresses; DNS names are 1 to 255 letters, digits,
// "-" and ".". The port must also fit in 16 bits. The spec's "should"
// recommendations (labels, lower case, 230 characters) are not enforced, as
// remote servers may not follow them.
func ParseServerName(s string) (ServerName, error) {
	if _, _, err := splitServerName(s); err != nil {
		return "", err
	}
	return ServerName(s), nil
}

// splitServerName validates s and returns the hostname (IPv6 literals
// without brackets) and the port, -1 if none.
func splitServerName(s string) (host string, port int, err error) {
	host, portText := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("%w: %q: unclosed [", ErrServerName, s)
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", 0, fmt.Errorf("%w: %q: junk after ]", ErrServerName, s)
			}
			portText = rest[1:]
			if portText == "" {
				return "", 0, fmt.Errorf("%w: %q: empty port", ErrServerName, s)
			}
		}
		if !validIPv6(host) {
			return "", 0, fmt.Errorf("%w: %q: bad IPv6 literal", ErrServerName, s)
		}
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, portText = s[:i], s[i+1:]
			if portText == "" {
				return "", 0, fmt.Errorf("%w: %q: empty port", ErrServerName, s)
			}
		}
		if looksLikeIPv4(host) {
			if !validIPv4(host) {
				return "", 0, fmt.Errorf("%w: %q: IPv4 octet above 255", ErrServerName, s)
			}
		} else if !validDNSName(host) {
			return "", 0, fmt.Errorf("%w: %q", ErrServerName, s)
		}
	}
	port = -1
	if portText != "" {
		if len(portText) > 5 || !allDigits(portText) {
			return "", 0, fmt.Errorf("%w: %q: bad port", ErrServerName, s)
		}
		port, _ = strconv.Atoi(portText)
		if port > 65535 {
			return "", 0, fmt.Errorf("%w: %q: port above 65535", ErrServerName, s)
		}
	}
	return host, port, nil
}

// validIPv6 checks IPv6address = 2*45IPv6char (hex digits, ":" and ".")
// and RFC 3513 syntax.
func validIPv6(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6()
}

// looksLikeIPv4 matches IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
// "." 1*3DIGIT. Such a hostname is an IPv4 literal and must be in range.
func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 3 || !allDigits(p) {
			return false
		}
	}
	return true
}

func validIPv4(s string) bool {
	for _, p := range strings.Split(s, ".") {
		if n, _ := strconv.Atoi(p); n > 255 {
			return false
		}
	}
	return true
}

// validDNSName checks dns-name = 1*255dns-char, dns-char = DIGIT / ALPHA /
// "-" / ".".
func validDNSName(s string) bool {
	if len(s) < 1 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Host is the hostname without the port; an IPv6 literal is returned
// without its brackets, ready for net.JoinHostPort or netip.ParseAddr.
func (s ServerName) Host() string {
	host, _, _ := splitServerName(string(s))
	return host
}

// Port is the explicit port, if the server name has one.
func (s ServerName) Port() (port int, ok bool) {
	_, port, err := splitServerName(string(s))
	if err != nil || port < 0 {
		return 0, false
	}
	return port, true
}

// IsIPLiteral reports whether the hostname is an IPv4 or IPv6 literal
// rather than a DNS name (server discovery treats the two differently).
func (s ServerName) IsIPLiteral() bool {
	host := s.Host()
	return strings.HasPrefix(string(s), "[") || looksLikeIPv4(host)
}

func (s ServerName) String() string { return string(s) }
