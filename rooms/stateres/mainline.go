package stateres

import (
	"math"
	"sort"
)

// infinitePosition is the mainline position of an event whose power-level
// chain never meets the mainline (v2-state-res.md: "a sentinel value greater
// than any integer").
const infinitePosition = math.MaxInt

// mainlineOrder sorts events by the "Mainline ordering" of v2-state-res.md
// based on the power-levels event p (-1 when the partial state has none, in
// which case the mainline is empty and every position is infinite).
func (g *graph) mainlineOrder(events []int32, p int32) []int32 {
	// The mainline of p: p = P0, P1 = the power-levels auth event of P0, …
	mainline := make(map[int32]int)
	for i, x := 0, p; x >= 0; i, x = i+1, g.pl[x] {
		if _, seen := mainline[x]; seen {
			break // only a cyclic graph gets here; loadSets refuses those
		}
		mainline[x] = i
	}
	// memo caches, per power-levels event, the position of the first event
	// of its own power-levels chain (itself included) on the mainline.
	memo := make(map[int32]int)
	positionFrom := func(x int32) int {
		var walked []int32
		pos := infinitePosition
		for ; x >= 0; x = g.pl[x] {
			if i, ok := mainline[x]; ok {
				pos = i
				break
			}
			if m, ok := memo[x]; ok {
				pos = m
				break
			}
			walked = append(walked, x)
		}
		for _, w := range walked {
			memo[w] = pos
		}
		return pos
	}
	pos := make(map[int32]int, len(events))
	for _, e := range events {
		// e itself is not considered: the list starts at e₁, the
		// power-levels event among e's auth events.
		pos[e] = positionFrom(g.pl[e])
	}
	out := append([]int32(nil), events...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if pos[a] != pos[b] {
			return pos[a] > pos[b]
		}
		ea, eb := g.evs[a], g.evs[b]
		if ea.OriginServerTS != eb.OriginServerTS {
			return ea.OriginServerTS < eb.OriginServerTS
		}
		return ea.ID < eb.ID
	})
	return out
}
