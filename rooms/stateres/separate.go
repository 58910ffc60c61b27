package stateres

import (
	"sort"

	"github.com/axonhs/axon/rooms/event"
)

// separated is state sets split into their unconflicted state map and their
// conflicted state set.
type separated struct {
	unconflicted StateMap
	conflicted   map[event.StateKey][]string // distinct IDs
	// holders[k][j] lists the indices of the sets holding conflicted[k][j]
	// (v2 only).
	holders map[event.StateKey][][]int
}

// separateV2 splits state sets as v2-state-res.md "Unconflicted state map
// and conflicted state set" defines it: a slot is unconflicted only if every
// set holds it with the same event; a slot missing from some set is
// conflicted.
func separateV2(sets []StateMap) separated {
	s := separated{conflicted: map[event.StateKey][]string{}, holders: map[event.StateKey][][]int{}}
	if len(sets) == 0 {
		s.unconflicted = StateMap{}
		return s
	}
	s.unconflicted = make(StateMap, len(sets[0]))
	// conflict records every set's event for a conflicted slot.
	conflict := func(key event.StateKey) {
		var ids []string
		var holders [][]int
		for i, set := range sets {
			id, ok := set[key]
			if !ok {
				continue
			}
			j := indexOf(ids, id)
			if j < 0 {
				j = len(ids)
				ids = append(ids, id)
				holders = append(holders, nil)
			}
			holders[j] = append(holders[j], i)
		}
		s.conflicted[key], s.holders[key] = ids, holders
	}
	// present[i] counts the slots of the first set that set i also holds:
	// when it is all of set i, set i has no slot the first set lacks.
	present := make([]int, len(sets))
	for key, id := range sets[0] {
		same := true
		for i, other := range sets[1:] {
			oid, ok := other[key]
			if ok {
				present[i+1]++
			}
			same = same && ok && oid == id
		}
		if same {
			s.unconflicted[key] = id
		} else {
			conflict(key)
		}
	}
	// A slot the first set lacks is conflicted.
	for i, set := range sets[1:] {
		if present[i+1] == len(set) {
			continue
		}
		for key := range set {
			if _, ok := sets[0][key]; !ok {
				if _, done := s.conflicted[key]; !done {
					conflict(key)
				}
			}
		}
	}
	return s
}

// separateV1 splits state sets as v1.md "State resolution" does: "a
// conflict occurs between states where those states have different
// event_ids for the same (event_type, state_key)". A slot held by only some
// of the sets, always with the same event, is not a conflict.
func separateV1(sets []StateMap) separated {
	s := separated{unconflicted: StateMap{}, conflicted: map[event.StateKey][]string{}}
	for _, set := range sets {
		for key, id := range set {
			if ids, ok := s.conflicted[key]; ok {
				s.conflicted[key] = addDistinct(ids, id)
				continue
			}
			prev, ok := s.unconflicted[key]
			if !ok {
				s.unconflicted[key] = id
			} else if prev != id {
				delete(s.unconflicted, key)
				s.conflicted[key] = []string{prev, id}
			}
		}
	}
	for _, ids := range s.conflicted {
		sort.Strings(ids)
	}
	return s
}

func addDistinct(ids []string, id string) []string {
	if indexOf(ids, id) >= 0 {
		return ids
	}
	return append(ids, id)
}

func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}
