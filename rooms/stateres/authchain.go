package stateres

import (
	"sort"

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
func (g *graph) authDifference(sets [][]int32) bitset {
	n := g.len()
	union, inter := newBitset(n), newBitset(n)
	for i, roots := range sets {
		c := newBitset(n)
		g.reach(roots, c)
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
	g := newGraph(v, events)
	roots, err := g.loadSets(sets)
	if err != nil {
		return nil, err
	}
	return g.sortedIDs(g.authDifference(roots)), nil
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

// loadSets numbers the events of every state set, checks that each sits in
// its own slot, fetches their auth chains and rejects cyclic auth graphs.
func (g *graph) loadSets(sets []StateMap) ([][]int32, error) {
	roots := make([][]int32, len(sets))
	var all []int32
	for i, set := range sets {
		roots[i] = make([]int32, 0, len(set))
		for key, id := range set {
			n, err := g.node(id)
			if err != nil {
				return nil, err
			}
			if ev := g.evs[n]; !ev.IsState() || ev.Key() != key {
				return nil, errSlot(id, key)
			}
			roots[i] = append(roots[i], n)
		}
		all = append(all, roots[i]...)
	}
	if err := g.expand(all); err != nil {
		return nil, err
	}
	if err := g.checkAcyclic(); err != nil {
		return nil, err
	}
	return roots, nil
}

// sortedIDs lists the event IDs of the members of b in ID order.
func (g *graph) sortedIDs(b bitset) []string {
	var out []string
	b.each(func(n int32) { out = append(out, g.evs[n].ID) })
	sort.Strings(out)
	return out
}
