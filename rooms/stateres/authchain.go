package stateres

import (
	"sort"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// reach adds to b every node reachable from roots along auth edges, roots
// included. The graph must have been expanded from roots.
func (g *graph) reach(roots []int32, b bitset) {
	stack := make([]int32, 0, 64)
	for _, r := range roots {
		if !b.has(r) {
			b.set(r)
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, a := range g.auth[n] {
			if !b.has(a) {
				b.set(a)
				stack = append(stack, a)
			}
		}
	}
}

// authDifference returns ∪Cᵢ − ∩Cᵢ, where Cᵢ is the full auth chain of
// state set i (v2-state-res.md, "Auth difference"). Cᵢ here includes the
// events of set i themselves, as deployed servers compute it; that only
// matters for events every set holds, which are then in every chain.
//
// The sets are given as the events common to all of them plus each set's
// own events: the chains of the common events are walked once.
func (g *graph) authDifference(l loadedSets) bitset {
	n := g.len()
	common := newBitset(n)
	g.reach(l.common, common)
	union, inter := newBitset(n), newBitset(n)
	c := newBitset(n)
	for i, own := range l.own {
		copy(c, common)
		g.reach(own, c)
		for w := range c {
			union[w] |= c[w]
			if i == 0 {
				inter[w] = c[w]
			} else {
				inter[w] &= c[w]
			}
		}
	}
	for w := range union {
		union[w] &^= inter[w]
	}
	return union
}

// AuthChain returns the auth chain of the given events (v2-state-res.md,
// "Auth chain"): their auth events, recursively, sorted by event ID. A
// starting event is included only if another one reaches it. In room
// version 12 the create event counts as an auth event of every other event.
func AuthChain(v version.Spec, ids []string, events Events) ([]string, error) {
	g := newGraph(v, events)
	roots, err := g.nodes(ids)
	if err != nil {
		return nil, err
	}
	if err := g.expand(roots); err != nil {
		return nil, err
	}
	b := newBitset(g.len())
	var starts []int32
	for _, r := range roots {
		starts = append(starts, g.auth[r]...)
	}
	g.reach(starts, b)
	return g.sortedIDs(b), nil
}

// AuthDifference returns the auth difference of state sets (v2-state-res.md,
// "Auth difference"), sorted by event ID.
func AuthDifference(v version.Spec, sets []StateMap, events Events) ([]string, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	g := newGraph(v, events)
	l, err := g.loadSets(separateV2(sets), len(sets))
	if err != nil {
		return nil, err
	}
	return g.sortedIDs(g.authDifference(l)), nil
}

// nodes numbers the given event IDs.
func (g *graph) nodes(ids []string) ([]int32, error) {
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		n, err := g.node(id)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// loadedSets are numbered state sets: the events all of them hold, and
// for each set the events only some hold.
type loadedSets struct {
	common []int32
	own    [][]int32
	// conflicted lists the events of the conflicted state set.
	conflicted []int32
}

// loadSets numbers the events of state sets already separated, checks that
// each sits in its own slot, fetches their auth chains and rejects cyclic
// auth graphs. Events common to every set are numbered once.
func (g *graph) loadSets(sep separated, nsets int) (loadedSets, error) {
	l := loadedSets{common: make([]int32, 0, len(sep.unconflicted)), own: make([][]int32, nsets)}
	number := func(key event.StateKey, id string) (int32, error) {
		n, err := g.node(id)
		if err != nil {
			return -1, err
		}
		if ev := g.evs[n]; !ev.IsState() || ev.Key() != key {
			return -1, errSlot(id, key)
		}
		return n, nil
	}
	for key, id := range sep.unconflicted {
		n, err := number(key, id)
		if err != nil {
			return l, err
		}
		l.common = append(l.common, n)
	}
	if err := g.expand(l.common); err != nil {
		return l, err
	}
	for key, ids := range sep.conflicted {
		for j, id := range ids {
			n, err := number(key, id)
			if err != nil {
				return l, err
			}
			l.conflicted = append(l.conflicted, n)
			for _, set := range sep.holders[key][j] {
				l.own[set] = append(l.own[set], n)
			}
		}
	}
	if err := g.expand(l.conflicted); err != nil {
		return l, err
	}
	if err := g.checkAcyclic(l.common, l.conflicted); err != nil {
		return l, err
	}
	return l, nil
}

// sortedIDs lists the event IDs of the members of b in ID order.
func (g *graph) sortedIDs(b bitset) []string {
	var out []string
	b.each(func(n int32) { out = append(out, g.evs[n].ID) })
	sort.Strings(out)
	return out
}
