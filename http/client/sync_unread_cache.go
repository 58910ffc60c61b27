package client

import "sync"

// unreadCache remembers, per user and room, the unread counts of the last
// sync, so that the next one evaluates only the events that arrived since
// instead of every unread event again. Entries are small; the cache is
// bounded and drops an arbitrary entry when full (a dropped entry is
// recomputed from storage).
type unreadCache struct {
	mu  sync.Mutex
	m   map[unreadKey]unreadEntry
	max int
}

type unreadKey struct{ userID, roomID string }

// unreadEntry: counts of the events in (after, upTo]; after is the read
// position worked out with the user joined at stream position joinedAt and
// the receipt stream at receiptsAt.
type unreadEntry struct {
	after, upTo          uint64
	joinedAt, receiptsAt uint64
	counts               unreadCounts
}

const maxUnreadCacheEntries = 200_000

func newUnreadCache(max int) *unreadCache {
	return &unreadCache{m: make(map[unreadKey]unreadEntry), max: max}
}

func (c *unreadCache) get(k unreadKey) (unreadEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

func (c *unreadCache) put(k unreadKey, e unreadEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
}
