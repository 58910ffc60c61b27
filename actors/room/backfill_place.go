package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// placement puts one chunk of backfilled events into a room's
// topological order, in one RoomBatch.
//
// Order. Events are placed children first (Kahn's algorithm over the
// prev_events edges, starting at the backward extremities), each at a
// depth below every child's, so that a remote server's claimed depths can
// never put an older event after a newer one. Events of the chunk that no
// backward extremity reaches are not part of the history asked for and
// are left out.
//
// State. The state after a backfilled event is the state before its
// child (the lowest one, when it has several). The state before it is the
// same, except for a state event that holds its own slot there: that slot
// goes back to the previous holder, which is among the event's auth
// events for memberships and power levels; when it is not (a topic or a
// history_visibility change, say), it is the event unsigned.replaces_state
// names if that is held and of the same slot (an unsigned hint some
// servers send), and otherwise the slot is left empty, which is the
// closest the backfilled data can tell. Snapshots are written every
// persistence.SnapshotInterval groups, as the room's own writer does.
type placement struct {
	store  *persistence.Store
	roomID string
	b      *persistence.RoomBatch

	states map[uint64]persistence.StateMap // full states of the groups read or written
	chains map[uint64]int                  // deltas since the last snapshot, per group

	chunk map[string]*event.Event // the events given, minus those already in the timeline
	reach reachSet                // those of chunk that will be placed
	nids  map[string]uint64       // the NIDs of reach

	// staleState reports a backfilled redaction of an event of the
	// current state (backfill_redact.go).
	staleState bool
	// redacted holds the stored form of outliers redacted before their
	// backfill.
	redacted map[string][]byte
}

func newPlacement(store *persistence.Store, roomID string, b *persistence.RoomBatch) *placement {
	return &placement{store: store, roomID: roomID, b: b, states: map[uint64]persistence.StateMap{}, chains: map[uint64]int{},
		redacted: map[string][]byte{}}
}

// child is what a placed event needs of one of its children.
type child struct {
	depth       int64
	stateBefore uint64
}

// place places the ancestors of xs among evs and returns how many were
// placed and the backward extremities afterwards (also queued in the
// batch).
func (p *placement) place(xs []persistence.BackwardExtremity, evs []*event.Event) (int, []persistence.BackwardExtremity, error) {
	chunk := make(map[string]*event.Event, len(evs))
	nids := make(map[string]uint64, len(evs))
	p.chunk, p.nids = chunk, nids
	for _, ev := range evs {
		if ev.RoomID != p.roomID {
			continue
		}
		rec, err := p.store.EventByID(ev.ID)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
		case err != nil:
			return 0, nil, err
		default:
			in, err := p.store.InTimeline(rec)
			if err != nil {
				return 0, nil, err
			}
			if in || rec.RoomID != p.roomID {
				continue
			}
			if rec.Redacted {
				p.redacted[ev.ID] = rec.Raw // redacted while an outlier: it stays so
			}
		}
		chunk[ev.ID] = ev
	}
	children := make(map[string][]child)
	var roots []string
	for _, x := range xs {
		rec, err := p.store.EventByID(x.EventID)
		if err != nil {
			return 0, nil, fmt.Errorf("backward extremity %s: %w", x.EventID, err)
		}
		for _, id := range x.Missing {
			if _, ok := chunk[id]; ok {
				children[id] = append(children[id], child{depth: rec.Depth, stateBefore: rec.StateBefore})
				roots = append(roots, id)
			}
		}
	}
	reach := reachable(chunk, roots)
	p.reach = reach
	indeg := make(map[string]int, len(reach))
	for id := range reach {
		for _, prev := range uniq(chunk[id].PrevEvents) {
			if reach[prev] {
				indeg[prev]++
			}
		}
	}
	var ready []string
	for id := range reach {
		if indeg[id] == 0 {
			ready = append(ready, id)
		}
	}
	placed := make(map[string]bool, len(reach))
	var order []*persistence.StoredEvent
	for _, id := range reach.sorted(chunk) {
		// An outlier keeps its NID, so the state groups naming it stay
		// right; an event not stored gets a new one.
		nid, err := p.b.TimelineNID(id)
		if err != nil {
			return 0, nil, err
		}
		nids[id] = nid
	}
	for len(ready) > 0 {
		slices.SortFunc(ready, func(x, y string) int { return cmpDepthID(chunk[x], chunk[y]) })
		id := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		ev := chunk[id]
		rec, err := p.placeOne(ev, children[id])
		if err != nil {
			return 0, nil, err
		}
		placed[id] = true
		order = append(order, rec)
		for _, prev := range uniq(ev.PrevEvents) {
			if !reach[prev] {
				continue
			}
			children[prev] = append(children[prev], child{depth: rec.Depth, stateBefore: rec.StateBefore})
			if indeg[prev]--; indeg[prev] == 0 {
				ready = append(ready, prev)
			}
		}
	}
	stale, err := p.applyRedactions(order)
	if err != nil {
		return 0, nil, err
	}
	p.staleState = stale
	out, err := p.moveExtremities(xs, order, chunk, placed)
	return len(order), out, err
}

// placeOne writes one event below its children.
func (p *placement) placeOne(ev *event.Event, kids []child) (*persistence.StoredEvent, error) {
	lowest := kids[0]
	for _, c := range kids[1:] {
		if c.depth < lowest.depth {
			lowest = c
		}
	}
	depth := min(ev.Depth, lowest.depth-1)
	rec := &persistence.StoredEvent{
		NID: p.nids[ev.ID], Stream: p.b.NextStream(), Depth: depth, RoomID: p.roomID, EventID: ev.ID,
		RoomVersion: string(ev.Version.ID), StateAfter: lowest.stateBefore, StateBefore: lowest.stateBefore,
		Outcome: persistence.OutcomeAccepted, Raw: ev.Raw,
	}
	if raw, ok := p.redacted[ev.ID]; ok {
		rec.Raw, rec.Redacted = raw, true
	}
	if ev.IsState() {
		before, err := p.undo(ev, lowest.stateBefore)
		if err != nil {
			return nil, err
		}
		rec.StateBefore = before
	}
	p.b.PutBackfilled(*rec)
	return rec, nil
}

// undo returns the state group before state event ev, given the group
// after it.
func (p *placement) undo(ev *event.Event, after uint64) (uint64, error) {
	st, err := p.state(after)
	if err != nil {
		return 0, err
	}
	k := ev.Key()
	if st[k] != p.nids[ev.ID] {
		return after, nil // the event does not hold its slot in the state after it
	}
	var prev uint64
	for _, id := range append(slices.Clone(ev.AuthEvents), replacesState(ev)) {
		if id == ev.ID || id == "" {
			continue
		}
		nid, key, ok, err := p.stateEventOf(id)
		if err != nil {
			return 0, err
		}
		if ok && key == k {
			prev = nid
			break
		}
	}
	before := make(persistence.StateMap, len(st))
	for kk, nid := range st {
		before[kk] = nid
	}
	if prev == 0 {
		delete(before, k)
	} else {
		before[k] = prev
	}
	g := persistence.StateGroup{RoomID: p.roomID, Parent: after,
		Entries: []persistence.StateEntry{{Type: k.Type, StateKey: k.StateKey, NID: prev}}}
	chain, err := p.chain(after)
	if err != nil {
		return 0, err
	}
	id := p.b.NextStateGroup()
	if chain+1 >= persistence.SnapshotInterval {
		g = persistence.StateGroup{RoomID: p.roomID, Snapshot: true, Entries: snapshotEntries(before)}
		p.chains[id] = 0
	} else {
		p.chains[id] = chain + 1
	}
	p.b.PutStateGroup(id, g)
	p.states[id] = before
	return id, nil
}

// stateEventOf finds the NID and state slot of an auth event: one of the
// chunk that is being placed (by the NID handed out) or one stored.
func (p *placement) stateEventOf(id string) (uint64, event.StateKey, bool, error) {
	if ev, ok := p.chunk[id]; ok && p.reach[id] {
		if !ev.IsState() {
			return 0, event.StateKey{}, false, nil
		}
		return p.nids[id], ev.Key(), true, nil
	}
	rec, err := p.store.EventByID(id)
	if errors.Is(err, persistence.ErrNotFound) {
		return 0, event.StateKey{}, false, nil
	}
	if err != nil {
		return 0, event.StateKey{}, false, err
	}
	if rec.RoomID != p.roomID || rec.Outcome == persistence.OutcomeRejected {
		return 0, event.StateKey{}, false, nil
	}
	ev, err := rec.Event()
	if err != nil || !ev.IsState() {
		return 0, event.StateKey{}, false, err
	}
	return rec.NID, ev.Key(), true, nil
}

func (p *placement) state(group uint64) (persistence.StateMap, error) {
	if st, ok := p.states[group]; ok {
		return st, nil
	}
	st, err := p.store.StateOfGroup(group)
	if err != nil {
		return nil, err
	}
	p.states[group] = st
	return st, nil
}

// chain counts the delta groups between group and its snapshot.
func (p *placement) chain(group uint64) (int, error) {
	if n, ok := p.chains[group]; ok {
		return n, nil
	}
	n := 0
	for id := group; id != 0; n++ {
		g, err := p.store.StateGroupByID(id)
		if err != nil {
			return 0, fmt.Errorf("state group %d: %w", id, err)
		}
		if g.Snapshot {
			break
		}
		id = g.Parent
	}
	p.chains[group] = n
	return n, nil
}

func snapshotEntries(st persistence.StateMap) []persistence.StateEntry {
	out := make([]persistence.StateEntry, 0, len(st))
	for k, nid := range st {
		out = append(out, persistence.StateEntry{Type: k.Type, StateKey: k.StateKey, NID: nid})
	}
	slices.SortFunc(out, func(a, b persistence.StateEntry) int {
		if a.Type != b.Type {
			return compare(a.Type, b.Type)
		}
		return compare(a.StateKey, b.StateKey)
	})
	return out
}

// moveExtremities drops the backward extremities whose missing events are
// now placed, and adds the placed events whose own prev_events are still
// missing. The new set is queued in the batch.
func (p *placement) moveExtremities(xs []persistence.BackwardExtremity, order []*persistence.StoredEvent, chunk map[string]*event.Event, placed map[string]bool) ([]persistence.BackwardExtremity, error) {
	var out []persistence.BackwardExtremity
	for _, x := range xs {
		left := x.Missing[:0:0]
		for _, id := range x.Missing {
			if !placed[id] {
				left = append(left, id)
			}
		}
		if len(left) == 0 {
			p.b.DeleteBackwardExtremity(p.roomID, x.EventID)
			continue
		}
		if len(left) != len(x.Missing) {
			x.Missing = left
			p.b.SetBackwardExtremity(p.roomID, x)
		}
		out = append(out, x)
	}
	for _, rec := range order {
		missing, err := missingPrevs(p.store, chunk[rec.EventID], placed)
		if err != nil {
			return nil, err
		}
		if len(missing) == 0 {
			continue
		}
		x := persistence.BackwardExtremity{EventID: rec.EventID, Depth: rec.Depth, Stream: rec.Stream, Missing: missing}
		p.b.SetBackwardExtremity(p.roomID, x)
		out = append(out, x)
	}
	return out, nil
}

// reachSet is the set of chunk events reachable from the roots.
type reachSet map[string]bool

// reachable walks prev_events from roots through the chunk.
func reachable(chunk map[string]*event.Event, roots []string) reachSet {
	out := reachSet{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ev, ok := chunk[id]
		if !ok || out[id] {
			continue
		}
		out[id] = true
		stack = append(stack, ev.PrevEvents...)
	}
	return out
}

// sorted lists the set newest first, for NIDs handed out in a stable
// order.
func (r reachSet) sorted(chunk map[string]*event.Event) []string {
	out := make([]string, 0, len(r))
	for id := range r {
		out = append(out, id)
	}
	slices.SortFunc(out, func(x, y string) int { return -cmpDepthID(chunk[x], chunk[y]) })
	return out
}

// cmpDepthID orders events by depth, then ID.
func cmpDepthID(x, y *event.Event) int {
	switch {
	case x.Depth != y.Depth:
		if x.Depth < y.Depth {
			return -1
		}
		return 1
	}
	return compare(x.ID, y.ID)
}

func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// replacesState reads unsigned.replaces_state, "" when there is none.
func replacesState(ev *event.Event) string {
	if len(ev.Unsigned) == 0 {
		return ""
	}
	var u struct {
		ReplacesState string `json:"replaces_state"`
	}
	if json.Unmarshal(ev.Unsigned, &u) != nil {
		return ""
	}
	return u.ReplacesState
}
