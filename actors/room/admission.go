package room

import (
	"hash/maphash"
	"sync"
)

// admission counts requests in flight per room and refuses the ones over
// the limit; rooms at zero are forgotten so idle rooms cost nothing.
type admission struct {
	seed   maphash.Seed
	limit  int
	shards [32]admissionShard
}

type admissionShard struct {
	mu       sync.Mutex
	inFlight map[string]int
}

func newAdmission(limit int) *admission {
	a := &admission{seed: maphash.MakeSeed(), limit: limit}
	for i := range a.shards {
		a.shards[i].inFlight = make(map[string]int)
	}
	return a
}

func (a *admission) shard(roomID string) *admissionShard {
	return &a.shards[maphash.String(a.seed, roomID)%uint64(len(a.shards))]
}

// acquire admits one request for roomID, or reports false when the room
// already has limit requests in flight.
func (a *admission) acquire(roomID string) bool {
	s := a.shard(roomID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[roomID] >= a.limit {
		return false
	}
	s.inFlight[roomID]++
	return true
}

// inFlight is the number of requests admitted for roomID and not yet
// answered.
func (a *admission) inFlight(roomID string) int {
	s := a.shard(roomID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight[roomID]
}

func (a *admission) release(roomID string) {
	s := a.shard(roomID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[roomID] <= 1 {
		delete(s.inFlight, roomID)
		return
	}
	s.inFlight[roomID]--
}

// stripedLock serialises work on the same key with a fixed set of mutexes.
type stripedLock struct {
	seed    maphash.Seed
	init    sync.Once
	stripes [64]sync.Mutex
}

func (l *stripedLock) lock(key string) (unlock func()) {
	l.init.Do(func() { l.seed = maphash.MakeSeed() })
	m := &l.stripes[maphash.String(l.seed, key)%uint64(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
