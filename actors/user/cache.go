package user

import (
	"container/list"
	"sync"
	"sync/atomic"

	"github.com/axonhs/axon/persistence"
)

// tokenCache is a bounded LRU of resolved access tokens. Only the user actor
// that revokes a token invalidates it; every invalidation bumps a generation
// so that a lookup that read Pebble before a revocation cannot re-insert the
// revoked token afterwards.
type tokenCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front = most recently used
	items map[persistence.TokenHash]*list.Element
	gen   uint64

	hits, misses, evictions atomic.Uint64
}

type cacheEntry struct {
	hash persistence.TokenHash
	tok  persistence.AccessToken
}

// CacheStats counts the token cache's traffic.
type CacheStats struct {
	Size                    int
	Hits, Misses, Evictions uint64
}

func newTokenCache(max int) *tokenCache {
	if max < 1 {
		max = 1
	}
	return &tokenCache{max: max, ll: list.New(), items: make(map[persistence.TokenHash]*list.Element)}
}

// get returns the cached record and the current generation.
func (c *tokenCache) get(h persistence.TokenHash) (persistence.AccessToken, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[h]; ok {
		c.ll.MoveToFront(el)
		c.hits.Add(1)
		return el.Value.(*cacheEntry).tok, true, c.gen
	}
	c.misses.Add(1)
	return persistence.AccessToken{}, false, c.gen
}

// addIf caches a record read from Pebble unless an invalidation happened
// since gen.
func (c *tokenCache) addIf(h persistence.TokenHash, tok persistence.AccessToken, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if el, ok := c.items[h]; ok {
		el.Value.(*cacheEntry).tok = tok
		c.ll.MoveToFront(el)
		return
	}
	c.items[h] = c.ll.PushFront(&cacheEntry{hash: h, tok: tok})
	for c.ll.Len() > c.max {
		oldest := c.ll.Back()
		c.ll.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).hash)
		c.evictions.Add(1)
	}
}

// invalidate drops hashes and bumps the generation.
func (c *tokenCache) invalidate(hs ...persistence.TokenHash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, h := range hs {
		if el, ok := c.items[h]; ok {
			c.ll.Remove(el)
			delete(c.items, h)
		}
	}
}

func (c *tokenCache) stats() CacheStats {
	c.mu.Lock()
	n := c.ll.Len()
	c.mu.Unlock()
	return CacheStats{Size: n, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}
