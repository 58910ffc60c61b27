package client

import (
	"sync"

	"github.com/axonhs/axon/http/client/push"
)

// boundedMap is a map with a size bound for /sync's caches of derived,
// recomputable values; when full, an arbitrary entry goes.
type boundedMap[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{m: make(map[K]V), max: max}
}

func (c *boundedMap[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedMap[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
}

// groupMembers is the membership of one state group: state groups never
// change, so it is computed once per group and shared.
type groupMembers struct {
	joined, invited int
	present         []string // joined and invited users, sorted
}

// syncCaches are the API's caches for /sync.
type syncCaches struct {
	members *boundedMap[uint64, *groupMembers]
	rules   *boundedMap[string, *push.Ruleset]
}

func newSyncCaches() syncCaches {
	return syncCaches{
		members: newBoundedMap[uint64, *groupMembers](16_384),
		rules:   newBoundedMap[string, *push.Ruleset](100_000),
	}
}

// pushRules returns the user's push rules: the server defaults, until
// rule editing exists.
func (a *API) pushRules(userID string) *push.Ruleset {
	if rs, ok := a.caches.rules.get(userID); ok {
		return rs
	}
	rs := push.Defaults(userID)
	a.caches.rules.put(userID, &rs)
	return &rs
}
