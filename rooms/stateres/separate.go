package stateres

import (
	"sort"

	"github.com/axonhs/axon/rooms/event"
)

// separated is state sets split into their unconflicted state map and their
// conflicted state set.
type separated struct {
	unconflicted StateMap
	conflicted   map[event.StateKey][]string // distinct IDs, sorted
}

// separateV2 splits state sets as v2-state-res.md "Unconflicted state map
// and conflicted state set" defines it: a slot is unconflicted only if every
// set holds it with the same event; a slot missing from some set is
// conflicted.
func separateV2(sets []StateMap) separated {
	s := separated{unconflicted: StateMap{}, conflicted: map[event.StateKey][]string{}}
	if len(sets) == 0 {
		return s
	}
	for key, id := range sets[0] {
		same := true
		for _, other := range sets[1:] {
			if oid, ok := other[key]; !ok || oid != id {
				same = false
				break
			}
		}
		if same {
			s.unconflicted[key] = id
		}
	}
	for _, set := range sets {
		for key, id := range set {
			if _, ok := s.unconflicted[key]; ok {
				continue
			}
			s.conflicted[key] = addDistinct(s.conflicted[key], id)
		}
	}
	for _, ids := range s.conflicted {
		sort.Strings(ids)
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
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
