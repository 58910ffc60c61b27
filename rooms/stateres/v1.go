package stateres

import (
	"crypto/sha1"
	"encoding/hex"
	"sort"

	"github.com/axonhs/axon/rooms/event"
)

// v1State is the state R of the v1 algorithm: the unconflicted state with
// the slots resolved so far on top, and while one slot is being resolved,
// that slot's candidate. Events are fetched on demand; the first fetch error
// is kept in err, since auth.State cannot return one.
type v1State struct {
	g        *graph
	base     StateMap
	override map[event.StateKey]string
	err      error
}

// Get returns the event in slot k, or nil.
func (s *v1State) Get(k event.StateKey) *event.Event {
	id, ok := s.override[k]
	if !ok {
		if id, ok = s.base[k]; !ok {
			return nil
		}
	}
	n, err := s.g.node(id)
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return nil
	}
	return s.g.evs[n]
}

// with returns R with slot k held by id, leaving s unchanged.
func (s *v1State) with(k event.StateKey, id string) *v1State {
	o := make(map[event.StateKey]string, len(s.override)+1)
	for kk, v := range s.override {
		o[kk] = v
	}
	o[k] = id
	return &v1State{g: s.g, base: s.base, override: o}
}

// resolveV1 implements the algorithm of v1.md "State resolution": start
// from the union of the states without the conflicting events, then resolve
// the conflicts of m.room.power_levels, then m.room.join_rules, then
// m.room.member, each against the state resolved before its pass, and last
// every other slot.
func (r *Resolver) resolveV1(sets []StateMap) (StateMap, error) {
	sep := separateV1(sets)
	if len(sep.conflicted) == 0 {
		return sep.unconflicted, nil
	}
	g := r.graph(0)
	cands := make(map[event.StateKey][]*event.Event, len(sep.conflicted))
	keys := make([]event.StateKey, 0, len(sep.conflicted))
	for key, ids := range sep.conflicted {
		for _, id := range ids {
			n, err := g.node(id)
			if err != nil {
				return nil, err
			}
			ev := g.evs[n]
			if !ev.IsState() || ev.Key() != key {
				return nil, errSlot(id, key)
			}
			cands[key] = append(cands[key], ev)
		}
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Type != keys[j].Type {
			return keys[i].Type < keys[j].Type
		}
		return keys[i].StateKey < keys[j].StateKey
	})

	R := &v1State{g: g, base: sep.unconflicted, override: map[event.StateKey]string{}}
	done := make(map[event.StateKey]bool, len(keys))
	passes := []func(event.StateKey) bool{
		func(k event.StateKey) bool { return k == keyPowerLevels },
		func(k event.StateKey) bool { return k.Type == event.TypeJoinRules },
		func(k event.StateKey) bool { return k.Type == event.TypeMember },
	}
	for _, inPass := range passes {
		resolved := map[event.StateKey]string{}
		for _, k := range keys {
			if !done[k] && inPass(k) {
				resolved[k] = r.resolveAuthSlotV1(R, k, cands[k])
				done[k] = true
			}
		}
		if R.err != nil {
			return nil, R.err
		}
		for k, id := range resolved {
			R.override[k] = id
		}
	}
	// "For all other conflicts, just pick the event with the highest depth
	// and lowest sha1(event_id) that passes authentication in R."
	resolved := map[event.StateKey]string{}
	for _, k := range keys {
		if !done[k] {
			resolved[k] = r.resolveOtherSlotV1(R, cands[k])
		}
	}
	if R.err != nil {
		return nil, R.err
	}
	out := make(StateMap, len(sep.unconflicted)+len(keys))
	for k, id := range sep.unconflicted {
		out[k] = id
	}
	for k, id := range R.override {
		out[k] = id
	}
	for k, id := range resolved {
		out[k] = id
	}
	return out, nil
}

// resolveAuthSlotV1 resolves one slot of the power-levels, join-rules or
// member passes: sort by ascending depth then descending sha1(event_id),
// take the first, then each next one as long as the rules allow it in R with
// the slot holding the event taken before.
func (r *Resolver) resolveAuthSlotV1(R *v1State, k event.StateKey, evs []*event.Event) string {
	list := orderV1(evs)
	// orderV1 sorts by descending depth, ascending hash: walk it backwards.
	cur := list[len(list)-1]
	for i := len(list) - 2; i >= 0; i-- {
		st := R.with(k, cur.ID)
		err := r.allowed(list[i], st)
		if st.err != nil && R.err == nil {
			R.err = st.err
		}
		if err != nil {
			break
		}
		cur = list[i]
	}
	return cur.ID
}

// resolveOtherSlotV1 picks the first event by descending depth, ascending
// sha1(event_id) that R allows. When none is allowed it keeps the last one
// in that order (the lowest depth), as deployed servers do; v1.md leaves
// this case open.
func (r *Resolver) resolveOtherSlotV1(R *v1State, evs []*event.Event) string {
	list := orderV1(evs)
	for _, ev := range list {
		if r.allowed(ev, R) == nil {
			return ev.ID
		}
	}
	return list[len(list)-1].ID
}

// orderV1 sorts by descending depth, then ascending sha1(event_id) as
// lower-case hex.
func orderV1(evs []*event.Event) []*event.Event {
	type keyed struct {
		ev   *event.Event
		hash string
	}
	ks := make([]keyed, len(evs))
	for i, ev := range evs {
		sum := sha1.Sum([]byte(ev.ID))
		ks[i] = keyed{ev: ev, hash: hex.EncodeToString(sum[:])}
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].ev.Depth != ks[j].ev.Depth {
			return ks[i].ev.Depth > ks[j].ev.Depth
		}
		return ks[i].hash < ks[j].hash
	})
	out := make([]*event.Event, len(ks))
	for i, k := range ks {
		out[i] = k.ev
	}
	return out
}
