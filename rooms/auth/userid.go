package auth

import "strings"

// maxIDBytes is the size limit of user, room and event IDs and of type and
// state_key (client-server-api "Size limits"; appendices "User Identifiers").
const maxIDBytes = 255

// validUserID reports whether s is a user ID this server must accept: "@",
// a localpart, ":" and a server name. Localparts follow the appendices'
// "Historical User IDs" tolerance (any code points except ":" and NUL, even
// empty), because senders of old events in live rooms use them.
func validUserID(s string) bool {
	if len(s) > maxIDBytes || !strings.HasPrefix(s, "@") {
		return false
	}
	i := strings.IndexByte(s, ':')
	if i < 0 || strings.IndexByte(s[:i], 0) >= 0 {
		return false
	}
	return validServerName(s[i+1:])
}

// domainOf returns the server name of a user ID, room ID (v1–v11) or
// server-scoped event ID (v1, v2): everything after the first ":". ok is
// false when there is no ":".
func domainOf(id string) (string, bool) {
	i := strings.IndexByte(id, ':')
	if i < 0 {
		return "", false
	}
	return id[i+1:], true
}

// validServerName checks the appendices' server_name grammar:
// hostname [":" port], hostname = IPv4address / "[" IPv6address "]" / dns-name.
func validServerName(s string) bool {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		ip6 := s[1:end]
		if len(ip6) < 2 || len(ip6) > 45 || !allBytes(ip6, isIPv6Char) {
			return false
		}
		rest := s[end+1:]
		if rest == "" {
			return true
		}
		return rest[0] == ':' && validPort(rest[1:])
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host = s[:i]
		if !validPort(s[i+1:]) {
			return false
		}
	}
	// An IPv4address is also a dns-name as far as characters go.
	return len(host) >= 1 && len(host) <= 255 && allBytes(host, isDNSChar)
}

func validPort(p string) bool {
	return len(p) >= 1 && len(p) <= 5 && allBytes(p, isDigit)
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDNSChar(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') || c == '-' || c == '.'
}

func isIPv6Char(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'
}
