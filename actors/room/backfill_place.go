package room

import (
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
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
// State. The state of the history is computed forwards, as the room
// version's model defines it (rooms v1 "The room state S(E) before E is
// the resolution of the set of states {S'(E'), S'(E”), ...} after the
// prev_events"): parents before children, the state before an event is
// the state after its one prev_event, or the resolution of the states
// after several (stateres, the room version's algorithm); the state after
// a state event is the state before it with the event in its slot. A
// prev_event outside the chunk counts with its stored state after it (a
// timeline event; outliers' states are not trusted: the outliers written
// when the room was joined carry the state at the join). An event with a
// prev_event of unknown state takes the state before it that the
// Backfiller fetched with /state_ids (PlaceBackfilledAt); without one its state is unknown, and it is left out with everything
// placed after it, so that no history is served under a guessed state
// (its history visibility could be "joined"). An event that the state
// before it does not allow (server-server-api "Checks performed on
// receipt of a PDU", check 5) is placed rejected, changing no state.
// Snapshots are written every persistence.SnapshotInterval groups, as
// the room's own writer does.
type placement struct {
	store  *persistence.Store
	roomID string
	b      *persistence.RoomBatch

	states map[uint64]persistence.StateMap // full states of the groups read or written
	chains map[uint64]int                  // deltas since the last snapshot, per group

	chunk  map[string]*event.Event      // the events given, minus those already in the timeline
	reach  reachSet                     // those of chunk that will be placed
	nids   map[string]uint64            // the NIDs of reach
	after  map[string]uint64            // the state groups after the events written
	byNID  map[uint64]string            // nids reversed, built when first needed
	given  map[string]stateres.StateMap // states before events, from /state_ids
	parsed map[uint64]*event.Event      // state events read by the auth checks, by NID

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

// child is what a placed event needs of one of its children: its
// depth, which the event goes below.
type child struct {
	depth int64
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
				children[id] = append(children[id], child{depth: rec.Depth})
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
	var down []string // children first
	depths := make(map[string]int64, len(reach))
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
		depth := depthBelow(ev, children[id])
		depths[id] = depth
		down = append(down, id)
		for _, prev := range uniq(ev.PrevEvents) {
			if !reach[prev] {
				continue
			}
			children[prev] = append(children[prev], child{depth: depth})
			if indeg[prev]--; indeg[prev] == 0 {
				ready = append(ready, prev)
			}
		}
	}
	p.after = make(map[string]uint64, len(down))
	placed := make(map[string]bool, len(down))
	var order []*persistence.StoredEvent // parents first
	for i := len(down) - 1; i >= 0; i-- {
		rec, err := p.placeOne(chunk[down[i]], depths[down[i]])
		if err != nil {
			return 0, nil, err
		}
		if rec != nil {
			placed[rec.EventID] = true
			order = append(order, rec)
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

// depthBelow is the depth of an event placed below its children: its
// own, unless a child sits at or below it.
func depthBelow(ev *event.Event, kids []child) int64 {
	lowest := kids[0].depth
	for _, c := range kids[1:] {
		lowest = min(lowest, c.depth)
	}
	return min(ev.Depth, lowest-1)
}

// placeOne writes one event at depth, once its prev_events in the chunk
// are written, with the state computed forwards (backfill_state.go). It
// returns nil, writing nothing, for an event whose state is unknown.
func (p *placement) placeOne(ev *event.Event, depth int64) (*persistence.StoredEvent, error) {
	before, known, err := p.stateBefore(ev)
	if err != nil || !known {
		return nil, err
	}
	rec := &persistence.StoredEvent{
		NID: p.nids[ev.ID], Stream: p.b.NextStream(), Depth: depth, RoomID: p.roomID, EventID: ev.ID,
		RoomVersion: string(ev.Version.ID), StateBefore: before, StateAfter: before,
		Outcome: persistence.OutcomeAccepted, Raw: ev.Raw,
	}
	allowed, err := p.allowed(ev, before)
	if err != nil {
		return nil, err
	}
	if !allowed {
		rec.Outcome = persistence.OutcomeRejected
	}
	if raw, ok := p.redacted[ev.ID]; ok {
		rec.Raw, rec.Redacted = raw, true
	}
	if ev.IsState() && allowed {
		if rec.StateAfter, err = p.withEvent(before, ev.Key(), rec.NID); err != nil {
			return nil, err
		}
	}
	p.after[ev.ID] = rec.StateAfter
	p.b.PutBackfilled(*rec)
	if rel := relationOf(ev); rel != nil && allowed && !rec.Redacted {
		// client-server-api "Relationships between events": backfilled
		// children count in /relations and thread summaries like any.
		p.b.PutRelation(rel.EventID, rel.RelType, rec.Stream, rec.NID)
	}
	return rec, nil
}

// withEvent writes the state group after a state event: the group before
// it with the event's NID in slot k.
func (p *placement) withEvent(before uint64, k event.StateKey, nid uint64) (uint64, error) {
	st, err := p.state(before)
	if err != nil {
		return 0, err
	}
	after := make(persistence.StateMap, len(st)+1)
	for kk, n := range st {
		after[kk] = n
	}
	after[k] = nid
	g := persistence.StateGroup{RoomID: p.roomID, Parent: before,
		Entries: []persistence.StateEntry{{Type: k.Type, StateKey: k.StateKey, NID: nid}}}
	chain, err := p.chain(before)
	if err != nil {
		return 0, err
	}
	id := p.b.NextStateGroup()
	if before == 0 || chain+1 >= persistence.SnapshotInterval {
		g = persistence.StateGroup{RoomID: p.roomID, Snapshot: true, Entries: snapshotEntries(after)}
		p.chains[id] = 0
	} else {
		p.chains[id] = chain + 1
	}
	p.b.PutStateGroup(id, g)
	p.states[id] = after
	return id, nil
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
