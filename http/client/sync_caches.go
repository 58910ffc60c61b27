package client

import (
	"sync"

	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/http/client/push"
	"github.com/axonhs/axon/persistence"
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

// filterKey names a parsed /sync filter: an inline one by its text, a
// stored one by its owner and ID. Both never change (client-server-api
// "Filtering": an uploaded filter gets a new ID and is not edited), so a
// long-polling client that sends the same filter each time has it parsed
// once. Readers never modify a filter.Filter.
type filterKey struct{ inline, localpart, id string }

// pushKey names what unread counting reads of one state group for one
// user: a state group never changes, so neither does the push context
// built from it.
type pushKey struct {
	group  uint64
	userID string
}

// pushState is the push context of a user in a state group (its
// SenderPowerLevel unset) and the room's power levels. Shared and read
// only: a caller copies the context before setting the sender's level.
type pushState struct {
	ctx    push.Context
	levels powerLevels
}

// syncCaches are the API's caches for /sync.
type syncCaches struct {
	members *boundedMap[uint64, *groupMembers]
	rules   *boundedMap[string, *push.Ruleset]
	filters *boundedMap[filterKey, filter.Filter]
	push    *boundedMap[pushKey, *pushState]
	ignored *boundedMap[string, ignoredAt]
	lazy    *sentMembers // member events sent to lazily loading devices
}

// ignoredAt is a user's ignored users as read with their account-data
// stream at pos: every change of m.ignored_user_list moves that stream,
// so the set stands while the position does.
type ignoredAt struct {
	pos   uint64
	users map[string]bool // read only
}

// ignoredUsers returns the users localpart ignores, reading them again
// only when the user's account data moved past the cached position.
func (a *API) ignoredUsers(localpart string, accountDataPos uint64) (map[string]bool, error) {
	if c, ok := a.caches.ignored.get(localpart); ok && c.pos == accountDataPos {
		return c.users, nil
	}
	users, err := a.cfg.Users.IgnoredUsers(localpart)
	if err != nil {
		return nil, err
	}
	a.caches.ignored.put(localpart, ignoredAt{pos: accountDataPos, users: users})
	return users, nil
}

func newSyncCaches() syncCaches {
	return syncCaches{
		members: newBoundedMap[uint64, *groupMembers](16_384),
		rules:   newBoundedMap[string, *push.Ruleset](100_000),
		filters: newBoundedMap[filterKey, filter.Filter](4096),
		push:    newBoundedMap[pushKey, *pushState](100_000),
		ignored: newBoundedMap[string, ignoredAt](100_000),
		lazy:    newSentMembers(lazyMembersPerDevice, lazyMembersTotal),
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

// headerKey names one stored form of an event: a redaction rewrites the
// event in place and sets Redacted, which makes a new key.
type headerKey struct {
	store    *persistence.Store
	nid      uint64
	redacted bool
}

// sharedHeaders holds decoded event headers across requests: every
// member's /sync decodes the same new events, and a stored form never
// changes. Bounded; a dropped entry is decoded again.
var sharedHeaders = newBoundedMap[headerKey, eventHeader](65_536)

// cachedEventHeader decodes a stored event's header through sharedHeaders.
func cachedEventHeader(st *persistence.Store, se persistence.StoredEvent) (eventHeader, error) {
	k := headerKey{store: st, nid: se.NID, redacted: se.Redacted}
	if h, ok := sharedHeaders.get(k); ok {
		return h, nil
	}
	h, err := decodeEventHeader(se.Raw)
	if err != nil {
		return h, err
	}
	sharedHeaders.put(k, h)
	return h, nil
}

// sharedPushEvents holds events decoded for push rule evaluation across
// requests: each new event is counted for every member of its room, and a
// stored form never changes. Bounded; a dropped entry is decoded again.
var sharedPushEvents = newBoundedMap[headerKey, push.Decoded](16_384)

// decodedForPush decodes a stored event for push evaluation through
// sharedPushEvents.
func decodedForPush(st *persistence.Store, se persistence.StoredEvent) push.Decoded {
	k := headerKey{store: st, nid: se.NID, redacted: se.Redacted}
	if d, ok := sharedPushEvents.get(k); ok {
		return d
	}
	d := push.Decode(se.Raw)
	sharedPushEvents.put(k, d)
	return d
}
