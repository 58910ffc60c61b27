package stateres

// conflictedSubgraph returns the conflicted state subgraph of v12.md
// "Conflicted state subgraph": every event on an auth_events path from one
// event of the conflicted state set to another, endpoints included. It is
// the set of events reachable from a conflicted event that can themselves
// reach a conflicted event. The graph must be acyclic and expanded.
func (g *graph) conflictedSubgraph(conflicted []int32) bitset {
	n := g.len()
	forward := newBitset(n)
	g.reach(conflicted, forward)

	// Reverse edges among the forward-reachable events, in CSR form.
	start := make([]int32, n+1)
	forward.each(func(x int32) {
		for _, a := range g.auth[x] {
			start[a+1]++
		}
	})
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	fill := append([]int32(nil), start[:n]...)
	rev := make([]int32, start[n])
	forward.each(func(x int32) {
		for _, a := range g.auth[x] {
			rev[fill[a]] = x
			fill[a]++
		}
	})

	// Walk back from the conflicted events: whatever is met lies on a path
	// that ends at one, and every reverse edge starts forward of one.
	sub := newBitset(n)
	stack := make([]int32, 0, len(conflicted))
	for _, c := range conflicted {
		if !sub.has(c) {
			sub.set(c)
			stack = append(stack, c)
		}
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range rev[start[x]:start[x+1]] {
			if !sub.has(p) {
				sub.set(p)
				stack = append(stack, p)
			}
		}
	}
	return sub
}
