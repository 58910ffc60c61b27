package federation

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/axonhs/axon/rooms/ids"
)

// Destination is where to send requests for a server name.
type Destination struct {
	// Addr is host:port to dial.
	Addr string
	// Host is the Host header.
	Host string
	// SNI is the TLS server name and the name the certificate must carry;
	// empty for IP literals, which are checked against the certificate's IP
	// addresses.
	SNI string
}

// SRVLookup is net.Resolver.LookupSRV's shape.
type SRVLookup func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)

// WellKnownFetcher fetches https://<host>/.well-known/matrix/server and
// returns the body with the response's Cache-Control and Expires headers.
// A non-200 status is an error.
type WellKnownFetcher interface {
	FetchWellKnown(ctx context.Context, host string) (body []byte, cacheControl, expires string, err error)
}

// ResolverConfig configures NewResolver.
type ResolverConfig struct {
	// Overrides maps a server name to the host:port to dial, bypassing
	// discovery (tests, benchmarks, private networks). Host header and SNI
	// stay the server name's hostname.
	Overrides map[string]string
	// OverridesOnly makes every name missing from Overrides unreachable
	// (ErrNotInAddressMap) without any lookup, except loopback IP literals,
	// which need none.
	OverridesOnly bool
	// LookupSRV defaults to net.DefaultResolver.LookupSRV.
	LookupSRV SRVLookup
	// WellKnown fetches .well-known; nil skips that step.
	WellKnown WellKnownFetcher
	// Timeout bounds each DNS and .well-known lookup; 0 means 10s.
	Timeout time.Duration
	// CacheSize bounds the .well-known cache; 0 means 10000 hosts.
	CacheSize int
	Now       func() time.Time
}

// Resolver turns server names into Destinations following
// server-server-api "Resolving server names".
type Resolver struct {
	cfg ResolverConfig

	mu        sync.Mutex
	wellKnown map[string]wellKnownEntry
	flight    flight
}

type wellKnownEntry struct {
	server  string // m.server; empty when the lookup failed
	expires time.Time
}

// NewResolver returns a Resolver.
func NewResolver(cfg ResolverConfig) *Resolver {
	if cfg.LookupSRV == nil {
		cfg.LookupSRV = net.DefaultResolver.LookupSRV
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Resolver{cfg: cfg, wellKnown: map[string]wellKnownEntry{}}
}

// DefaultPort is the federation port used when nothing else names one.
const DefaultPort = 8448

// Resolve returns the Destination for serverName.
func (r *Resolver) Resolve(ctx context.Context, serverName string) (Destination, error) {
	sn, err := ids.ParseServerName(serverName)
	if err != nil {
		return Destination{}, fmt.Errorf("%w: %q: %w", ErrBadServerName, serverName, err)
	}
	host := sn.Host()
	if addr, ok := r.cfg.Overrides[serverName]; ok {
		return Destination{Addr: addr, Host: serverName, SNI: sniFor(sn)}, nil
	}
	if r.cfg.OverridesOnly && !(sn.IsIPLiteral() && isLoopback(host)) {
		return Destination{}, fmt.Errorf("%w: %q", ErrNotInAddressMap, serverName)
	}
	// Step 1: an IP literal, with its port or 8448.
	if sn.IsIPLiteral() {
		return Destination{Addr: joinHostPort(host, portOr(sn, DefaultPort)), Host: serverName}, nil
	}
	// Step 2: a hostname with an explicit port.
	if port, ok := sn.Port(); ok {
		return Destination{Addr: joinHostPort(host, port), Host: serverName, SNI: host}, nil
	}
	// Step 3: .well-known delegation.
	if delegated, ok := r.lookupWellKnown(ctx, host); ok {
		return r.resolveDelegated(ctx, delegated)
	}
	// Steps 4-6: SRV on the hostname itself, then 8448.
	return r.resolveSRV(ctx, host), nil
}

// resolveDelegated follows steps 3.1-3.5 for m.server's value.
func (r *Resolver) resolveDelegated(ctx context.Context, delegated ids.ServerName) (Destination, error) {
	host := delegated.Host()
	if delegated.IsIPLiteral() {
		return Destination{Addr: joinHostPort(host, portOr(delegated, DefaultPort)), Host: string(delegated)}, nil
	}
	if port, ok := delegated.Port(); ok {
		return Destination{Addr: joinHostPort(host, port), Host: string(delegated), SNI: host}, nil
	}
	return r.resolveSRV(ctx, host), nil
}

// resolveSRV tries _matrix-fed._tcp, then the deprecated _matrix._tcp, then
// falls back to host:8448. Host header and SNI are host in every case.
func (r *Resolver) resolveSRV(ctx context.Context, host string) Destination {
	for _, service := range []string{"matrix-fed", "matrix"} {
		lctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		_, srvs, err := r.cfg.LookupSRV(lctx, service, "tcp", host)
		cancel()
		if err != nil || len(srvs) == 0 {
			continue
		}
		target := strings.TrimSuffix(srvs[0].Target, ".")
		if target == "" {
			continue // "." means the service is decidedly not available
		}
		return Destination{Addr: joinHostPort(target, int(srvs[0].Port)), Host: host, SNI: host}
	}
	return Destination{Addr: joinHostPort(host, DefaultPort), Host: host, SNI: host}
}

func sniFor(sn ids.ServerName) string {
	if sn.IsIPLiteral() {
		return ""
	}
	return sn.Host()
}

func portOr(sn ids.ServerName, def int) int {
	if p, ok := sn.Port(); ok {
		return p
	}
	return def
}

// joinHostPort joins host (which may be a bracketed IPv6 literal) and port.
func joinHostPort(host string, port int) string {
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(port))
}

// isLoopback reports whether an IP literal host (IPv6 in brackets or not)
// is a loopback address.
func isLoopback(host string) bool {
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
