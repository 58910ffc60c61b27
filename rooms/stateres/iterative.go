package stateres

import (
	"github.com/axonhs/axon/rooms/event"
)

// partialState is the room state the iterative auth checks build: the
// slots set so far (overlay) on top of a base state (the unconflicted state
// map in v2, nothing in v2.1).
type partialState struct {
	g       *graph
	base    StateMap
	overlay map[event.StateKey]int32
}

func newPartialState(g *graph, base StateMap) *partialState {
	return &partialState{g: g, base: base, overlay: make(map[event.StateKey]int32)}
}

// lookup returns the node in slot k, or -1.
func (s *partialState) lookup(k event.StateKey) int32 {
	if n, ok := s.overlay[k]; ok {
		return n
	}
	if id, ok := s.base[k]; ok {
		if n, ok := s.g.index[id]; ok {
			return n
		}
	}
	return -1
}

// checkState is the state one event is checked against in the iterative
// auth checks: the partial state, and for a slot it lacks (or holds a
// rejected event in) the matching event among the event's own auth events,
// if that one was not rejected (v2-state-res.md, "Iterative auth checks").
// It implements auth.State.
type checkState struct {
	s    *partialState
	auth []int32
}

// Get returns the event in slot k, or nil.
func (c *checkState) Get(k event.StateKey) *event.Event {
	g := c.s.g
	if n := c.s.lookup(k); n >= 0 && !g.rejected(n) {
		return g.evs[n]
	}
	for _, a := range c.auth {
		ev := g.evs[a]
		if ev.Type == k.Type && ev.StateKey != nil && *ev.StateKey == k.StateKey && !g.rejected(a) {
			return ev
		}
	}
	return nil
}

// iterativeAuthChecks applies, in order, each event the authorisation rules
// allow against checkState, and ignores the others.
func (r *Resolver) iterativeAuthChecks(s *partialState, order []int32) {
	g := r.g
	for _, n := range order {
		ev := g.evs[n]
		if !ev.IsState() {
			continue
		}
		if r.allowed(ev, &checkState{s: s, auth: g.auth[n]}) == nil {
			s.overlay[ev.Key()] = n
		}
	}
}
