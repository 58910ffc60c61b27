package room

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
)

// backfillRequest carries checked events of a /backfill answer (or none,
// to have the room's backward extremities computed) through the room
// actor, which alone writes the room's events. The actor fills the result
// fields before the reply.
type backfillRequest struct {
	evs []*event.Event
	// states are the states before events of evs whose prev_events are
	// not held, as /state_ids gave them (slot → event ID).
	states map[string]stateres.StateMap

	placed      int
	extremities []persistence.BackwardExtremity
}

// BackfillResult is what the room made of backfilled events.
type BackfillResult struct {
	// Placed counts the events given their place in the room's
	// topological order.
	Placed int
	// Extremities are the room's backward extremities afterwards; none
	// when the room's history is complete back to m.room.create.
	Extremities []persistence.BackwardExtremity
}

// PlaceBackfilled hands events fetched with /backfill, whose format,
// signatures, hashes and auth against their auth events the caller has
// checked, to the room actor. The actor places the ancestors of the
// room's backward extremities among them before the events they precede
// (server-server-api "Backfilling and retrieving missing events"), gives
// each the state computed forwards from the states after its prev_events
// (backfill_place.go), indexes their relations, moves the backward
// extremities back, and commits that as one batch of its own, without
// positions in the room's stream: /messages serves them, /sync never
// does. Events that are not ancestors of a backward extremity are left
// out, and so are events whose state is unknown: here, those whose
// prev_events are not all in the timeline or among evs (see
// PlaceBackfilledAt). With no events it only makes sure the room's
// backward extremities are computed.
func (d *Directory) PlaceBackfilled(ctx context.Context, roomID string, evs []*event.Event) (BackfillResult, error) {
	return d.PlaceBackfilledAt(ctx, roomID, evs, nil)
}

// PlaceBackfilledAt is PlaceBackfilled with the states before the events
// that begin the backfilled stretch (slot → event ID, as /state_ids gives
// them; every event they name must be held, as an outlier at least). The
// state of the rest of the stretch is computed forwards from them; an
// event whose state can be neither computed nor found in states is not
// placed, nor is anything after it (backfill_place.go).
func (d *Directory) PlaceBackfilledAt(ctx context.Context, roomID string, evs []*event.Event, states map[string]stateres.StateMap) (BackfillResult, error) {
	req := &backfillRequest{evs: evs, states: states}
	if _, err := d.send(ctx, &envelope{roomID: roomID, backfill: req}); err != nil {
		return BackfillResult{}, err
	}
	return BackfillResult{Placed: req.placed, Extremities: req.extremities}, nil
}

// applyBackfill runs a backfill request in the actor and commits it at
// once, in a batch of its own: nothing in it depends on the proposals
// pending for the next flush, which do not depend on it either (they
// build on the forward extremities; backfilled events are older).
func (a *roomActor) applyBackfill(m *envelope) (string, error, bool) {
	a.awaitInflight()
	req := m.backfill
	store := a.dir.cfg.Store
	st, err := store.BackfillState(a.roomID)
	if err != nil {
		return "", err, false
	}
	b, err := store.NewRoomBatch()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCommit, err), false
	}
	defer b.Close()
	var xs []persistence.BackwardExtremity
	if st.Initialised {
		xs, err = store.BackwardExtremities(a.roomID)
	} else {
		xs, err = a.initBackwardExtremities(b)
	}
	if err != nil {
		return "", err, false
	}
	placed := 0
	// An event the actor has applied but not flushed yet (a PDU stepped
	// moments ago) gets its place from that flush, not from here.
	evs := make([]*event.Event, 0, len(req.evs))
	for _, ev := range req.evs {
		if _, _, ok := a.pendingEvent(ev.ID); !ok {
			evs = append(evs, ev)
		}
	}
	stale := false
	if len(evs) > 0 && len(xs) > 0 {
		p := newPlacement(store, a.roomID, b)
		p.given = req.states
		if placed, xs, err = p.place(xs, evs); err != nil {
			return "", err, false
		}
		stale = p.staleState
	}
	if err := a.dir.commitBatch(b); err != nil {
		return "", err, false
	}
	if stale {
		// The core holds a state event this batch redacted: reload it,
		// now or after the pending proposals' flush (as finish does).
		a.staleState = true
		if len(a.pending) == 0 {
			a.room, a.w, a.staleState = nil, nil, false
		}
	}
	req.placed, req.extremities = placed, xs
	return "", nil, false
}

// initBackwardExtremities computes a room's backward extremities the first
// time they are asked for and queues them, with the state that says so, in
// b. A room created on this server holds its whole history; any other is
// scanned once: every timeline event with a prev_event outside the
// timeline is one.
func (a *roomActor) initBackwardExtremities(b *persistence.RoomBatch) ([]persistence.BackwardExtremity, error) {
	b.PutBackfillState(a.roomID, persistence.BackfillState{Initialised: true})
	if a.w != nil && serverOfUser(a.w.info.Creator) == a.dir.cfg.Signer.ServerName {
		return nil, nil
	}
	store := a.dir.cfg.Store
	var xs []persistence.BackwardExtremity
	from := persistence.Topo{Depth: math.MinInt64}
	for {
		recs, next, err := store.RoomEvents(a.roomID, from, false, 256)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			ev, err := rec.Event()
			if err != nil {
				return nil, err
			}
			missing, err := missingPrevs(store, ev, nil)
			if err != nil {
				return nil, err
			}
			if len(missing) > 0 {
				x := persistence.BackwardExtremity{EventID: rec.EventID, Depth: rec.Depth, Stream: rec.Stream, Missing: missing}
				b.SetBackwardExtremity(a.roomID, x)
				xs = append(xs, x)
			}
		}
		if len(recs) < 256 {
			return xs, nil
		}
		from = next
	}
}

// missingPrevs lists the prev_events of ev that are neither in the
// room's timeline nor in placed.
func missingPrevs(store *persistence.Store, ev *event.Event, placed map[string]bool) ([]string, error) {
	var out []string
	for _, id := range ev.PrevEvents {
		if placed[id] {
			continue
		}
		ok, err := inTimeline(store, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// inTimeline reports whether an event is stored in its room's
// topological order.
func inTimeline(store *persistence.Store, eventID string) (bool, error) {
	rec, err := store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return store.InTimeline(rec)
}

// noteGap records a timeline event written after a gap (a prev_event of
// it is not in the timeline: an inbound PDU whose missing prev_events
// were only fetched as state) as a backward extremity, so that /messages
// backfills across the gap. Events citing the forward extremities, as
// every local event does, cost no read. In a room stored before its
// extremities were first computed nothing is recorded: that scan finds
// the event.
func (w *writer) noteGap(b *persistence.RoomBatch, ev *event.Event, rec *persistence.StoredEvent) {
	var missing []string
	for _, id := range ev.PrevEvents {
		if _, ok := w.extrem[id]; ok {
			continue
		}
		if r, ok := w.batch[id]; ok && !r.Outlier {
			continue
		}
		if in, err := inTimeline(w.store, id); err != nil || in {
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return
	}
	st, err := w.store.BackfillState(w.roomID)
	if err != nil {
		return
	}
	if !st.Initialised {
		if _, err := w.store.Room(w.roomID); !errors.Is(err, persistence.ErrNotFound) {
			return // a room stored before: its first scan will find the event
		}
		// The first batch of a room joined over federation (Adopt): its
		// join is its first backward extremity, and no scan is needed.
		b.PutBackfillState(w.roomID, persistence.BackfillState{Initialised: true})
	}
	b.SetBackwardExtremity(w.roomID, persistence.BackwardExtremity{EventID: ev.ID, Depth: rec.Depth, Stream: rec.Stream, Missing: missing})
}
