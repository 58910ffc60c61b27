package room

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
)

// ErrStateIncomplete reports an outlier whose StateBefore names an event
// the room does not hold; nothing of the request is stored.
var ErrStateIncomplete = errors.New("room: the state of an outlier names an event that is not stored")

// Outlier is an event to hold outside the room's timeline
// (persistence/outliers.go): an auth event fetched to check a PDU, or an
// event of a state fetched with /state_ids. The caller has checked its
// signatures and hashes (server-server-api "Checks performed on receipt of
// a PDU", checks 1 to 3) and its auth against its own auth events (check
// 4); an event that failed check 4 is stored with Rejected set, so that it
// counts as rejected wherever it is cited.
type Outlier struct {
	Event    *event.Event
	Rejected bool
	// StateBefore, when set, is the room state before Event (slot → event
	// ID), as /state_ids answered it for a prev_event this server missed.
	// It is stored as a snapshot state group, and the state after Event
	// (StateBefore plus Event itself when it is an accepted state event)
	// becomes what a later PDU citing Event as a prev_event is checked
	// against. Every event it names must be stored already or come earlier
	// in the same StoreOutliers call.
	StateBefore stateres.StateMap
}

// outlierRequest carries outliers through the room actor, the single
// writer of the room's events.
type outlierRequest struct {
	outs []Outlier
}

// StoreOutliers holds events of roomID as outliers, in order, in the room
// actor's next batch; it returns once that batch has committed. Events the
// room already holds (in its timeline or as outliers) are left as they
// are. An event of another room fails the call with core.ErrWrongRoom and
// a state naming an event not held with ErrStateIncomplete; in both cases
// nothing is stored.
func (d *Directory) StoreOutliers(ctx context.Context, roomID string, outs []Outlier) error {
	if len(outs) == 0 {
		return nil
	}
	_, err := d.send(ctx, &envelope{roomID: roomID, outliers: &outlierRequest{outs: outs}})
	return err
}

// applyOutliers queues the outliers of a request that the room does not
// hold yet; like applyStep it reports whether the reply waits for the
// flush.
func (a *roomActor) applyOutliers(m *envelope) (string, error, bool) {
	outs := m.outliers.outs
	fresh := make([]*queuedOutlier, 0, len(outs))
	inRequest := make(map[string]bool, len(outs))
	for i := range outs {
		o := &outs[i]
		ev := o.Event
		if ev.RoomID != a.roomID {
			return "", fmt.Errorf("%w: %s", core.ErrWrongRoom, ev.ID), false
		}
		q := &queuedOutlier{o: o}
		// A held outlier whose state was unknown takes the state now
		// given, under its own NID; anything else held stays as it is.
		if o.StateBefore != nil {
			if rec, err := a.w.lookup(ev.ID); err == nil && rec.Outlier && rec.StateAfter == 0 && !a.pendingOutlier(ev.ID) {
				q.nid = rec.NID
			}
		}
		if q.nid == 0 && a.holds(ev.ID) {
			continue
		}
		if o.StateBefore != nil {
			nids, err := a.stateNIDs(o.StateBefore, inRequest)
			if err != nil {
				return "", fmt.Errorf("%w (state before %s)", err, ev.ID), false
			}
			q.state = nids
		}
		inRequest[ev.ID] = true
		fresh = append(fresh, q)
	}
	var last *pending
	for _, q := range fresh {
		outcome := core.Accepted
		if q.o.Rejected {
			outcome = core.Rejected
		}
		last = &pending{eff: &core.Effects{Event: q.o.Event, Outcome: outcome}, outlier: q}
		a.pending = append(a.pending, last)
	}
	if last == nil {
		return "", nil, false
	}
	last.replies = append(last.replies, m.reply)
	return "", nil, true
}

// queuedOutlier is an outlier waiting for the next batch: nid is its
// stored record's NID when it only gains a state (0: a new record), and
// state the NIDs of the state before it, 0 for an event of the same
// request (resolved when the batch is written).
type queuedOutlier struct {
	o     *Outlier
	nid   uint64
	state persistence.StateMap
}

// stateNIDs resolves a state's event IDs to NIDs, reading storage only
// for slots whose event is not the current state's: the state at a gap
// mostly matches the current state. An event neither held nor in the same
// request fails with ErrStateIncomplete.
func (a *roomActor) stateNIDs(s stateres.StateMap, inRequest map[string]bool) (persistence.StateMap, error) {
	out := make(persistence.StateMap, len(s))
	// The writer's current-state NIDs match the room core's state only
	// once every event applied to the core has been written to a batch.
	current := !slices.ContainsFunc(a.pending, func(p *pending) bool { return p.outlier == nil })
	for k, id := range s {
		if cur := a.room.State(k); current && cur != nil && cur.ID == id {
			if nid, ok := a.w.state[k]; ok {
				out[k] = nid
				continue
			}
		}
		if inRequest[id] {
			out[k] = 0
			continue
		}
		if a.pendingOutlier(id) {
			out[k] = 0
			continue
		}
		if rec, ok := a.w.batch[id]; ok {
			out[k] = rec.NID
			continue
		}
		nid, err := a.dir.cfg.Store.EventNID(id)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStateIncomplete, id, err)
		}
		out[k] = nid
	}
	return out, nil
}

// holds reports an event stored or queued for the next batch, in the
// timeline or as an outlier.
func (a *roomActor) holds(id string) bool {
	if _, _, ok := a.pendingEvent(id); ok {
		return true
	}
	_, err := a.w.lookup(id)
	return err == nil
}

// pendingOutlier reports an event queued for the next batch as an
// outlier.
func (a *roomActor) pendingOutlier(id string) bool {
	for _, p := range a.pending {
		if p.outlier != nil && p.eff.Event.ID == id {
			return true
		}
	}
	return false
}

// writeOutlier adds an outlier's rows to b: the event by NID and ID, and,
// when its state before is known, a snapshot group of that state and the
// group after the event.
func (w *writer) writeOutlier(b *persistence.RoomBatch, q *queuedOutlier) error {
	o, ev := q.o, q.o.Event
	nid := q.nid
	if nid == 0 {
		nid = b.NextNID()
	}
	rec := &persistence.StoredEvent{
		NID: nid, Depth: ev.Depth, RoomID: w.roomID, EventID: ev.ID,
		RoomVersion: string(ev.Version.ID), Outcome: persistence.OutcomeAccepted, Outlier: true, Raw: ev.Raw,
	}
	if o.Rejected {
		rec.Outcome = persistence.OutcomeRejected
	}
	w.batch[ev.ID] = rec
	if o.StateBefore != nil {
		before, err := w.snapshotGroup(b, o.StateBefore, q.state)
		if err != nil {
			return fmt.Errorf("state before outlier %s: %w", ev.ID, err)
		}
		rec.StateBefore, rec.StateAfter = before, before
		if ev.IsState() && !o.Rejected {
			after := b.NextStateGroup()
			b.PutStateGroup(after, persistence.StateGroup{RoomID: w.roomID, Parent: before, Entries: []persistence.StateEntry{
				{Type: ev.Type, StateKey: *ev.StateKey, NID: rec.NID},
			}})
			rec.StateAfter = after
		}
	}
	b.PutOutlier(*rec)
	return nil
}

// snapshotGroup writes a state as a snapshot group of the room, apart
// from the current state's chain of groups; nids holds the NIDs resolved
// when the outlier was queued, 0 for events written in this batch.
func (w *writer) snapshotGroup(b *persistence.RoomBatch, s stateres.StateMap, nids persistence.StateMap) (uint64, error) {
	entries := make([]persistence.StateEntry, 0, len(s))
	for k, id := range s {
		nid := nids[k]
		if nid == 0 {
			rec, err := w.lookup(id)
			if err != nil {
				return 0, fmt.Errorf("%w: %s: %w", ErrStateIncomplete, id, err)
			}
			nid = rec.NID
		}
		entries = append(entries, persistence.StateEntry{Type: k.Type, StateKey: k.StateKey, NID: nid})
	}
	sortEntries(entries)
	id := b.NextStateGroup()
	b.PutStateGroup(id, persistence.StateGroup{RoomID: w.roomID, Snapshot: true, Entries: entries})
	return id, nil
}
