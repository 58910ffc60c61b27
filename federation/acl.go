package federation

import (
	"encoding/json"
	"strings"

	"github.com/axonhs/axon/rooms/ids"
)

// aclContent is the content of m.room.server_acl (client-server-api "Server
// Access Control Lists (ACLs) for rooms").
type aclContent struct {
	Allow           []any `json:"allow"`
	Deny            []any `json:"deny"`
	AllowIPLiterals *bool `json:"allow_ip_literals"`
}

// ACLAllows reports whether serverName may take part in a room whose
// m.room.server_acl content is aclContent. Following the spec's order: the
// port is ignored; an IP literal is denied when allow_ip_literals is false
// (default true); then a match in deny denies; then a match in allow
// allows; otherwise the server is denied. Globs use * (any run of
// characters, including none) and ? (exactly one), matched
// case-insensitively (m.room.server_acl.yaml; appendices "Glob-style
// matching"). Entries that are not strings are ignored. Content that
// is not a JSON object allows everyone, as if there were no ACL.
func ACLAllows(content []byte, serverName string) bool {
	var c aclContent
	if err := json.Unmarshal(content, &c); err != nil {
		return true
	}
	host := serverName
	if sn, err := ids.ParseServerName(serverName); err == nil {
		host = sn.Host()
		if c.AllowIPLiterals != nil && !*c.AllowIPLiterals && sn.IsIPLiteral() {
			return false
		}
	}
	host = strings.ToLower(host)
	for _, d := range c.Deny {
		if s, ok := d.(string); ok && globMatch([]rune(strings.ToLower(s)), []rune(host)) {
			return false
		}
	}
	for _, a := range c.Allow {
		if s, ok := a.(string); ok && globMatch([]rune(strings.ToLower(s)), []rune(host)) {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern with * and ? wildcards over
// characters, not bytes (appendices "Glob-style matching"), backtracking
// only to the last star, so at worst O(len(pattern)·len(s)).
func globMatch(pattern, s []rune) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
