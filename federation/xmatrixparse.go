package federation

import (
	"fmt"
	"strings"

	"github.com/axonhs/axon/rooms/signing"
)

// maxAuthHeader bounds the header the parser looks at; real ones are about
// 200 bytes.
const maxAuthHeader = 4096

// ParseAuthorization parses an Authorization header value with the X-Matrix
// scheme. Following server-server-api "Request Authentication" and RFC 9110
// section 11.4: the scheme is case-insensitive and followed by one or more
// spaces; parameters are comma-separated name=value pairs with optional
// spaces and tabs around the commas; names are case-insensitive; values are
// tokens or quoted strings with backslash escapes, and unquoted values may
// contain colons. Unknown parameters are ignored; a repeated one is an
// error. origin, key and sig are required; destination is optional.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	if len(h) > maxAuthHeader {
		return a, fmt.Errorf("%w: longer than %d bytes", ErrBadAuthHeader, maxAuthHeader)
	}
	const scheme = "x-matrix"
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
		return a, fmt.Errorf("%w: scheme is not X-Matrix", ErrBadAuthHeader)
	}
	p := paramParser{s: h[len(scheme):]}
	seen := map[string]bool{}
	for {
		p.skip(" \t")
		if p.done() {
			break
		}
		name, value, err := p.param()
		if err != nil {
			return a, err
		}
		if seen[name] {
			return a, fmt.Errorf("%w: parameter %s repeated", ErrBadAuthHeader, name)
		}
		seen[name] = true
		switch name {
		case "origin":
			a.Origin = value
		case "destination":
			a.Destination = value
		case "key":
			a.Key = signing.KeyID(value)
		case "sig":
			a.Sig = value
		}
		p.skip(" \t")
		if p.done() {
			break
		}
		if p.s[p.i] != ',' {
			return a, fmt.Errorf("%w: expected ',' at offset %d", ErrBadAuthHeader, p.i)
		}
		p.i++
	}
	switch {
	case a.Origin == "":
		return a, fmt.Errorf("%w: no origin", ErrBadAuthHeader)
	case a.Key == "":
		return a, fmt.Errorf("%w: no key", ErrBadAuthHeader)
	case a.Sig == "":
		return a, fmt.Errorf("%w: no sig", ErrBadAuthHeader)
	}
	if _, err := signing.ParseKeyID(string(a.Key)); err != nil {
		return a, fmt.Errorf("%w: key: %w", ErrBadAuthHeader, err)
	}
	return a, nil
}

type paramParser struct {
	s string
	i int
}

func (p *paramParser) done() bool { return p.i >= len(p.s) }

func (p *paramParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// param reads name=value; the name comes back in lower case.
func (p *paramParser) param() (string, string, error) {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return "", "", fmt.Errorf("%w: expected a parameter name at offset %d", ErrBadAuthHeader, start)
	}
	name := strings.ToLower(p.s[start:p.i])
	p.skip(" \t")
	if p.done() || p.s[p.i] != '=' {
		return "", "", fmt.Errorf("%w: parameter %s has no '='", ErrBadAuthHeader, name)
	}
	p.i++
	p.skip(" \t")
	if !p.done() && p.s[p.i] == '"' {
		v, err := p.quoted()
		return name, v, err
	}
	start = p.i
	// Colons are allowed unquoted for older senders (spec, same section).
	for p.i < len(p.s) && (isTokenChar(p.s[p.i]) || p.s[p.i] == ':') {
		p.i++
	}
	if p.i == start {
		return "", "", fmt.Errorf("%w: parameter %s has an empty value", ErrBadAuthHeader, name)
	}
	return name, p.s[start:p.i], nil
}

// quoted reads an RFC 9110 quoted-string starting at the opening quote.
func (p *paramParser) quoted() (string, error) {
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", fmt.Errorf("%w: backslash at end of header", ErrBadAuthHeader)
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c < 0x20 && c != '\t' || c == 0x7f:
			return "", fmt.Errorf("%w: control character in quoted value", ErrBadAuthHeader)
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("%w: unterminated quoted value", ErrBadAuthHeader)
}

// isTokenChar reports whether c is a tchar of RFC 9110 section 5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
