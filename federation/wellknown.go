package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/axonhs/axon/rooms/ids"
)

// Caching of /.well-known/matrix/server (server-server-api "Resolving
// server names", step 3): honour Cache-Control or Expires, 24 hours when
// neither is given, at most 48 hours; failures are cached for an hour.
const (
	wellKnownDefaultTTL = 24 * time.Hour
	wellKnownMaxTTL     = 48 * time.Hour
	wellKnownErrorTTL   = time.Hour
	maxWellKnownBody    = 64 << 10
)

// lookupWellKnown returns m.server for host, from the cache or fetched.
func (r *Resolver) lookupWellKnown(ctx context.Context, host string) (ids.ServerName, bool) {
	if r.cfg.WellKnown == nil {
		return "", false
	}
	if e, ok := r.cachedWellKnown(host); ok {
		return wellKnownResult(e)
	}
	_ = r.flight.do(ctx, host, func() error {
		fctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		defer cancel()
		r.storeWellKnown(host, r.fetchWellKnown(fctx, host))
		return nil
	})
	e, _ := r.cachedWellKnown(host)
	return wellKnownResult(e)
}

func wellKnownResult(e wellKnownEntry) (ids.ServerName, bool) {
	if e.server == "" {
		return "", false
	}
	return ids.ServerName(e.server), true
}

func (r *Resolver) fetchWellKnown(ctx context.Context, host string) wellKnownEntry {
	now := r.cfg.Now()
	failed := wellKnownEntry{expires: now.Add(wellKnownErrorTTL)}
	body, cacheControl, expires, err := r.cfg.WellKnown.FetchWellKnown(ctx, host)
	if err != nil {
		return failed
	}
	server, err := parseWellKnown(body)
	if err != nil {
		return failed
	}
	return wellKnownEntry{server: server, expires: now.Add(cacheLifetime(cacheControl, expires, now))}
}

// parseWellKnown returns m.server from a .well-known/matrix/server body.
func parseWellKnown(body []byte) (string, error) {
	if len(body) > maxWellKnownBody {
		return "", fmt.Errorf("%w: body too large", ErrBadWellKnown)
	}
	var wk struct {
		Server string `json:"m.server"`
	}
	if err := json.Unmarshal(body, &wk); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadWellKnown, err)
	}
	if _, err := ids.ParseServerName(wk.Server); err != nil {
		return "", fmt.Errorf("%w: m.server %q: %w", ErrBadWellKnown, wk.Server, err)
	}
	return wk.Server, nil
}

// cacheLifetime is how long a .well-known answer is kept: Cache-Control
// max-age, else Expires, else 24 hours, never more than 48 hours.
// no-store/no-cache keep it for an hour, as a failure, so that such a server
// is not asked again on every request.
func cacheLifetime(cacheControl, expires string, now time.Time) time.Duration {
	ttl := wellKnownDefaultTTL
	found := false
	for _, d := range strings.Split(cacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "max-age":
			if secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && secs >= 0 {
				ttl, found = time.Duration(min(secs, int64(wellKnownMaxTTL/time.Second)))*time.Second, true
			}
		case "no-store", "no-cache":
			return wellKnownErrorTTL
		}
	}
	if !found && expires != "" {
		if t, err := http.ParseTime(expires); err == nil {
			ttl = max(t.Sub(now), 0)
		}
	}
	return min(ttl, wellKnownMaxTTL)
}

func (r *Resolver) cachedWellKnown(host string) (wellKnownEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.wellKnown[host]
	if !ok || !r.cfg.Now().Before(e.expires) {
		return wellKnownEntry{}, false
	}
	return e, true
}

func (r *Resolver) storeWellKnown(host string, e wellKnownEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.wellKnown[host]; !ok && len(r.wellKnown) >= r.cfg.CacheSize {
		now := r.cfg.Now()
		for h, old := range r.wellKnown {
			if !now.Before(old.expires) {
				delete(r.wellKnown, h)
			}
		}
		for h := range r.wellKnown {
			if len(r.wellKnown) < r.cfg.CacheSize {
				break
			}
			delete(r.wellKnown, h)
		}
	}
	r.wellKnown[host] = e
}
