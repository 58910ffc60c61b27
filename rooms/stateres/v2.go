package stateres

import (
	"fmt"

	"github.com/axonhs/axon/rooms/event"
)

var keyPowerLevels = event.StateKey{Type: event.TypePowerLevels}

// resolveV2 implements the "Algorithm" of v2-state-res.md, and with v21 set
// the amendments of v12.md "State resolution".
func (r *Resolver) resolveV2(sets []StateMap, v21 bool) (StateMap, error) {
	sep := separateV2(sets)
	if len(sep.conflicted) == 0 {
		// Identical state sets have identical auth chains, so the full
		// conflicted set is empty and the result is the unconflicted state.
		return sep.unconflicted, nil
	}
	// The auth chains of a room's state are somewhat larger than its state.
	g := r.graph(len(sets[0]) + len(sets[0])/4)
	loaded, err := g.loadSets(sep, len(sets))
	if err != nil {
		return nil, err
	}

	// Full conflicted set: conflicted state set ∪ auth difference, and in
	// v2.1 ∪ conflicted state subgraph.
	full := g.authDifference(loaded)
	for _, n := range loaded.conflicted {
		full.set(n)
	}
	if v21 {
		sub := g.conflictedSubgraph(loaded.conflicted)
		for w := range full {
			full[w] |= sub[w]
		}
	}

	// Step 1: the power events and their auth chains within the full
	// conflicted set, in reverse topological power ordering.
	powerSet := g.powerClosure(full)
	powerOrder := g.reverseTopologicalPowerOrder(powerSet, r.senderLevels(powerSet))
	if n := powerSet.count(); len(powerOrder) != n {
		// loadSets refuses cyclic graphs, so this is a broken invariant.
		return nil, fmt.Errorf("%w: %d of %d power events left unsorted", ErrCycle, n-len(powerOrder), n)
	}

	// Step 2: iterative auth checks from the unconflicted state map (v2) or
	// from the empty state map (v2.1).
	base := sep.unconflicted
	if v21 {
		base = nil
	}
	partial := newPartialState(g, base)
	r.iterativeAuthChecks(partial, powerOrder)

	// Step 3: the other events, by mainline ordering based on the power
	// levels of the partial state.
	var rest []int32
	full.each(func(n int32) {
		if !powerSet.has(n) {
			rest = append(rest, n)
		}
	})
	rest = g.mainlineOrder(rest, partial.lookup(keyPowerLevels))

	// Step 4: iterative auth checks on the partial state.
	r.iterativeAuthChecks(partial, rest)

	// Step 5: the unconflicted state map wins over whatever was resolved.
	// It is this resolution's own map, so it becomes the result.
	out := sep.unconflicted
	for k, n := range partial.overlay {
		if _, ok := out[k]; !ok {
			out[k] = g.evs[n].ID
		}
	}
	return out, nil
}
