package auth

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// plCacheSize bounds the parsed power-levels cache. Each entry pins one
// power-levels event; a server checks most events of a room against the
// same one, so a few active rooms per core fit comfortably.
const plCacheSize = 1024

// plCache keeps parsed power levels per power-levels event, because every
// event of a room is checked against the same few of them and parsing a
// large users map dominates an auth check. Events are immutable, so the
// pointer (with the room version whose rules parsed it) identifies the
// content. When full, an arbitrary half is dropped.
var plCache = struct {
	sync.Mutex
	m            map[plCacheKey]plCacheEntry
	hits, misses atomic.Uint64
}{m: make(map[plCacheKey]plCacheEntry)}

type plCacheKey struct {
	ev *event.Event
	v  version.ID
}

type plCacheEntry struct {
	fields  *plFields
	content *PowerLevelContent
	err     error
}

// parsedPowerLevels parses a power-levels event under v's rules, through
// the cache. The results are shared: callers must not modify them.
func parsedPowerLevels(v version.Spec, ev *event.Event) (*plFields, *PowerLevelContent, error) {
	key := plCacheKey{ev: ev, v: v.ID}
	plCache.Lock()
	e, ok := plCache.m[key]
	plCache.Unlock()
	if ok {
		plCache.hits.Add(1)
		return e.fields, e.content, e.err
	}
	plCache.misses.Add(1)
	f, err := parsePowerLevels(v, ev.Content)
	e = plCacheEntry{fields: f, err: err}
	if err == nil {
		e.content = f.withDefaults()
	}
	plCache.Lock()
	if len(plCache.m) >= plCacheSize {
		for k := range plCache.m {
			delete(plCache.m, k)
			if len(plCache.m) <= plCacheSize/2 {
				break
			}
		}
	}
	plCache.m[key] = e
	plCache.Unlock()
	return e.fields, e.content, e.err
}

// PowerLevelsCacheStats reports the hits and misses of the parsed
// power-levels cache since the process started, for metrics.
func PowerLevelsCacheStats() (hits, misses uint64) {
	return plCache.hits.Load(), plCache.misses.Load()
}

// clone returns a copy whose maps the caller may modify.
func (p *PowerLevelContent) clone() PowerLevelContent {
	c := *p
	c.Events = maps.Clone(p.Events)
	c.Users = maps.Clone(p.Users)
	c.Notifications = maps.Clone(p.Notifications)
	return c
}
