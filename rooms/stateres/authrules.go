package stateres

import (
	"math"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
)

// allowed runs the state-dependent authorisation rules of ev's room version
// against st (rooms/auth).
func (r *Resolver) allowed(ev *event.Event, st auth.State) error {
	return auth.Allowed(ev, st)
}

// authEventsState is the state formed by one event's auth events.
type authEventsState struct {
	g    *graph
	auth []int32
}

// Get returns the auth event in slot k, or nil.
func (a authEventsState) Get(k event.StateKey) *event.Event {
	for _, n := range a.auth {
		ev := a.g.evs[n]
		if ev.Type == k.Type && ev.StateKey != nil && *ev.StateKey == k.StateKey {
			return ev
		}
	}
	return nil
}

// levelKey is what a sender's power level, read from an event's auth
// events, depends on.
type levelKey struct {
	powerLevels, create int32
	sender              string
}

// senderLevels returns, for each member of set, the power level of its
// sender "when looking at [its] auth_events" (v2-state-res.md, "Reverse
// topological power ordering"). A privileged creator (room version 12)
// ranks above every number. Levels are cached per power-levels event,
// create event and sender, so each power-levels content is parsed once per
// sender rather than once per event, and once per Resolver.
func (r *Resolver) senderLevels(set bitset) []int64 {
	g := r.g
	level := make([]int64, g.len())
	if r.levels == nil {
		r.levels = make(map[levelKey]int64)
	}
	cache := r.levels
	set.each(func(n int32) {
		ev := g.evs[n]
		key := levelKey{powerLevels: -1, create: -1, sender: ev.Sender}
		for _, a := range g.auth[n] {
			switch {
			case isSlot(g.evs[a], event.TypePowerLevels):
				key.powerLevels = a
			case isSlot(g.evs[a], event.TypeCreate):
				key.create = a
			}
		}
		l, ok := cache[key]
		if !ok {
			var creator bool
			l, creator = auth.UserPowerLevel(r.v, authEventsState{g: g, auth: g.auth[n]}, ev.Sender)
			if creator {
				l = math.MaxInt64
			}
			cache[key] = l
		}
		level[n] = l
	})
	return level
}
