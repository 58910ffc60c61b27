package stateres

import "container/heap"

// powerClosure returns step 1's set X of v2-state-res.md "Algorithm": the
// power events of the full conflicted set, enlarged by the events of their
// auth chains that belong to the full conflicted set. Like deployed servers
// it follows auth edges only through events of the full conflicted set.
func (g *graph) powerClosure(full bitset) bitset {
	x := newBitset(g.len())
	var stack []int32
	full.each(func(n int32) {
		if isPowerEvent(g.evs[n]) {
			x.set(n)
			stack = append(stack, n)
		}
	})
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, a := range g.auth[n] {
			if full.has(a) && !x.has(a) {
				x.set(a)
				stack = append(stack, a)
			}
		}
	}
	return x
}

// reverseTopologicalPowerOrder sorts the members of set, earliest first, by
// the "Reverse topological power ordering" of v2-state-res.md: Kahn's
// algorithm over the auth edges between members, taking at each step the
// smallest candidate, where x < y if x's sender has the greater power level
// (level[x], from x's own auth events), then the smaller origin_server_ts,
// then the smaller event ID. The graph must be acyclic.
func (g *graph) reverseTopologicalPowerOrder(set bitset, level []int64) []int32 {
	// pending[n] counts the auth events of n still to be emitted; waiting[a]
	// lists the members that cite a.
	pending := make(map[int32]int32)
	waiting := make(map[int32][]int32)
	h := &nodeHeap{less: func(a, b int32) bool { return g.powerLess(a, b, level) }}
	set.each(func(n int32) {
		var c int32
		for _, a := range g.auth[n] {
			if set.has(a) {
				c++
				waiting[a] = append(waiting[a], n)
			}
		}
		if c == 0 {
			h.nodes = append(h.nodes, n)
		} else {
			pending[n] = c
		}
	})
	heap.Init(h)
	var out []int32
	for h.Len() > 0 {
		n := heap.Pop(h).(int32)
		out = append(out, n)
		for _, p := range waiting[n] {
			if pending[p]--; pending[p] == 0 {
				heap.Push(h, p)
			}
		}
	}
	return out
}

// powerLess is the comparison relation of the reverse topological power
// ordering.
func (g *graph) powerLess(a, b int32, level []int64) bool {
	if level[a] != level[b] {
		return level[a] > level[b]
	}
	ea, eb := g.evs[a], g.evs[b]
	if ea.OriginServerTS != eb.OriginServerTS {
		return ea.OriginServerTS < eb.OriginServerTS
	}
	return ea.ID < eb.ID
}

// nodeHeap is a min-heap of graph nodes under less.
type nodeHeap struct {
	nodes []int32
	less  func(a, b int32) bool
}

func (h *nodeHeap) Len() int           { return len(h.nodes) }
func (h *nodeHeap) Less(i, j int) bool { return h.less(h.nodes[i], h.nodes[j]) }
func (h *nodeHeap) Swap(i, j int)      { h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i] }
func (h *nodeHeap) Push(x any)         { h.nodes = append(h.nodes, x.(int32)) }
func (h *nodeHeap) Pop() any {
	n := h.nodes[len(h.nodes)-1]
	h.nodes = h.nodes[:len(h.nodes)-1]
	return n
}
