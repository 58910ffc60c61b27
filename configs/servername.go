package configs

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckServerName reports whether s is a server name by the grammar of the
// spec's appendices, "Server Name":
//
//	server_name = hostname [ ":" port ]
//	port        = 1*5DIGIT
//	hostname    = IPv4address / "[" IPv6address "]" / dns-name
//	IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
//	IPv6address = 2*45IPv6char
//	IPv6char    = DIGIT / %x41-46 / %x61-66 / ":" / "."
//	dns-name    = 1*255dns-char
//	dns-char    = DIGIT / ALPHA / "-" / "."
//
// Beyond the grammar it refuses port 0 and ports above 65535, which no
// server can listen on.
func CheckServerName(s string) error {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return fmt.Errorf("%w: %q: unclosed [ in IPv6 literal", ErrInvalid, s)
		}
		host, port = s[:end+1], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return fmt.Errorf("%w: %q: unexpected text after ]", ErrInvalid, s)
			}
			port = port[1:]
			if port == "" {
				return fmt.Errorf("%w: %q: empty port", ErrInvalid, s)
			}
		}
		if err := checkIPv6(host[1 : len(host)-1]); err != nil {
			return fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i+1:]
			if port == "" {
				return fmt.Errorf("%w: %q: empty port", ErrInvalid, s)
			}
		}
		if err := checkDNSName(host); err != nil {
			return fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
		}
	}
	if port != "" {
		if len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("%w: %q: port must be 1 to 5 digits", ErrInvalid, s)
		}
		if n, _ := strconv.Atoi(port); n < 1 || n > 65535 {
			return fmt.Errorf("%w: %q: port out of range", ErrInvalid, s)
		}
	}
	return nil
}

func checkIPv6(s string) error {
	if len(s) < 2 || len(s) > 45 {
		return fmt.Errorf("IPv6 literal must be 2 to 45 characters")
	}
	for i := range len(s) {
		c := s[i]
		if !(isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') || c == ':' || c == '.') {
			return fmt.Errorf("character %q not allowed in an IPv6 literal", c)
		}
	}
	return nil
}

// checkDNSName covers both dns-name and IPv4address: every IPv4address is
// also a valid dns-name by the grammar.
func checkDNSName(s string) error {
	if len(s) < 1 || len(s) > 255 {
		return fmt.Errorf("hostname must be 1 to 255 characters")
	}
	for i := range len(s) {
		c := s[i]
		if !(isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || c == '.') {
			return fmt.Errorf("character %q not allowed in a hostname", c)
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
