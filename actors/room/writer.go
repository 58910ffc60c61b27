package room

import (
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
)

// writer turns the Effects of a room's events into rows of a RoomBatch. It
// mirrors what storage holds of the room (current state NIDs, state group,
// extremities) so that a flush needs no reads for the common case; like the
// core's Room it runs ahead of storage until the batch commits, and is
// discarded with it when the commit fails.
type writer struct {
	store  *persistence.Store
	roomID string
	info   persistence.RoomInfo
	state  persistence.StateMap // current state slot → NID
	extrem map[string]uint64    // forward extremity event ID → NID

	// Per batch: events written so far, by ID.
	batch map[string]*persistence.StoredEvent
	// stepStates remembers the state after recently stepped remote events
	// (step.go); like the rest of the writer it is ahead of storage.
	stepStates map[string]stateres.StateMap
	// outliers maps stored outliers that a step is moving into the
	// timeline to their NIDs (step.go).
	outliers map[string]uint64
	// redactedState is set when a redaction hit an event of the current
	// state: the core's Room still holds the unredacted event and must be
	// reloaded after the commit.
	redactedState bool
}

func newWriter(store *persistence.Store, roomID string) *writer {
	return &writer{store: store, roomID: roomID, state: make(persistence.StateMap), extrem: make(map[string]uint64)}
}

// begin starts a batch.
func (w *writer) begin() {
	w.batch = make(map[string]*persistence.StoredEvent)
	w.redactedState = false
}

// lookup finds an event written earlier in this batch or in storage.
func (w *writer) lookup(eventID string) (*persistence.StoredEvent, error) {
	if e, ok := w.batch[eventID]; ok {
		return e, nil
	}
	e, err := w.store.EventByID(eventID)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// write adds one event's Effects to b.
func (w *writer) write(b *persistence.RoomBatch, eff *core.Effects, txn *Txn) error {
	ev := eff.Event
	rec := &persistence.StoredEvent{
		NID: w.timelineNID(b, ev.ID), Stream: b.NextStream(), Depth: ev.Depth,
		RoomID: w.roomID, EventID: ev.ID, RoomVersion: string(ev.Version.ID),
		StateBefore: w.info.StateGroup, Outcome: outcomeOf(eff.Outcome), Raw: ev.Raw,
	}
	w.batch[ev.ID] = rec
	if ev.Type == event.TypeCreate && ev.IsState() && *ev.StateKey == "" {
		w.info.Version = string(ev.Version.ID)
		w.info.Creator = ev.Sender
		w.info.CreatedStream = rec.Stream
	}
	if eff.Outcome == core.Accepted && len(eff.StateDelta) > 0 {
		if err := w.writeState(b, eff.StateDelta); err != nil {
			return err
		}
	}
	rec.StateAfter = w.info.StateGroup
	b.PutEvent(*rec)
	w.noteGap(b, ev, rec)
	// The federation outbox rows go in the event's own batch, so an event
	// acknowledged to a client is queued for every server in the room.
	for _, dest := range eff.Destinations {
		b.PutOutbox(dest, rec.Stream, rec.NID)
	}

	if eff.Outcome == core.Accepted {
		w.writeExtremities(b, eff.Extremities)
	}
	for _, m := range eff.Memberships {
		b.PutMembership(m.UserID, persistence.UserMembership{RoomID: w.roomID, Membership: m.New, EventNID: rec.NID, Stream: rec.Stream})
		if eff.Outcome == core.Accepted && backInRoom(m.New) {
			// A user who forgot the room and comes back has not forgotten
			// it any more (client-server-api "Leaving rooms": forget
			// applies to a room the user has left).
			b.SetForgotten(m.UserID, w.roomID, false)
		}
	}
	if eff.Relation != nil {
		b.PutRelation(eff.Relation.EventID, eff.Relation.RelType, rec.Stream, rec.NID)
	}
	if eff.Redacts != "" && eff.Outcome == core.Accepted {
		if err := w.redact(b, eff.Redacts, ev); err != nil {
			return err
		}
	}
	if txn != nil {
		b.PutTxn(txn.UserID, txn.DeviceID, txn.ID, persistence.TxnRecord{EventID: ev.ID, RequestHash: txn.Request})
		if txn.ClientTxnID != "" {
			b.PutEventTxn(rec.NID, persistence.EventTxn{UserID: txn.UserID, DeviceID: txn.DeviceID, TxnID: txn.ClientTxnID})
		}
	}
	return nil
}

// timelineNID is the NID of an event entering the timeline: an outlier
// keeps its own (written earlier in this batch, or found by the step that
// placed it, step.go), so that state groups naming it stay right.
func (w *writer) timelineNID(b *persistence.RoomBatch, eventID string) uint64 {
	if rec, ok := w.batch[eventID]; ok && rec.Outlier {
		return rec.NID
	}
	if nid, ok := w.outliers[eventID]; ok {
		delete(w.outliers, eventID)
		return nid
	}
	return b.NextNID()
}

// writeState records a state change as a new state group: a delta on the
// previous group, or a full snapshot every SnapshotInterval groups.
func (w *writer) writeState(b *persistence.RoomBatch, delta []core.StateChange) error {
	entries := make([]persistence.StateEntry, 0, len(delta))
	for _, c := range delta {
		var nid uint64
		if c.New != "" {
			e, err := w.lookup(c.New)
			if err != nil {
				return fmt.Errorf("state event %s: %w", c.New, err)
			}
			nid = e.NID
			w.state[c.Key] = nid
		} else {
			delete(w.state, c.Key)
		}
		b.SetCurrentState(w.roomID, c.Key, nid)
		entries = append(entries, persistence.StateEntry{Type: c.Key.Type, StateKey: c.Key.StateKey, NID: nid})
	}
	g := persistence.StateGroup{RoomID: w.roomID, Parent: w.info.StateGroup, Entries: entries}
	if w.info.StateGroup == 0 || w.info.Chain >= persistence.SnapshotInterval {
		g.Snapshot = true
		g.Entries = g.Entries[:0]
		for k, nid := range w.state {
			g.Entries = append(g.Entries, persistence.StateEntry{Type: k.Type, StateKey: k.StateKey, NID: nid})
		}
		sortEntries(g.Entries)
		w.info.Chain = 0
	} else {
		w.info.Chain++
	}
	id := b.NextStateGroup()
	b.PutStateGroup(id, g)
	w.info.StateGroup = id
	return nil
}

// sortEntries orders a snapshot's entries by slot.
func sortEntries(entries []persistence.StateEntry) {
	slices.SortFunc(entries, func(a, b persistence.StateEntry) int {
		if a.Type != b.Type {
			return compare(a.Type, b.Type)
		}
		return compare(a.StateKey, b.StateKey)
	})
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *writer) writeExtremities(b *persistence.RoomBatch, ids []string) {
	next := make(map[string]uint64, len(ids))
	for _, id := range ids {
		if nid, ok := w.extrem[id]; ok {
			next[id] = nid
			continue
		}
		e, err := w.lookup(id)
		if err != nil {
			continue // an extremity the room core holds but storage lacks cannot be indexed
		}
		next[id] = e.NID
		b.SetExtremity(w.roomID, id, e.NID)
	}
	for id := range w.extrem {
		if _, ok := next[id]; !ok {
			b.SetExtremity(w.roomID, id, 0)
		}
	}
	w.extrem = next
}

// redact rewrites the stored target of a redaction to its redacted form.
// The original content is not kept (see persistence.StoredEvent).
func (w *writer) redact(b *persistence.RoomBatch, targetID string, redaction *event.Event) error {
	target, err := w.lookup(targetID)
	if errors.Is(err, persistence.ErrNotFound) {
		// Stored; it applies if the target is backfilled later.
		b.PutPendingRedaction(w.roomID, targetID, redaction.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if target.RoomID != w.roomID || target.Redacted {
		return nil
	}
	tev, err := target.Event()
	if err != nil {
		return err
	}
	raw, err := core.ApplyRedaction(tev, redaction)
	if err != nil {
		return fmt.Errorf("redacting %s: %w", targetID, err)
	}
	red := *target
	red.Raw, red.Redacted = raw, true
	b.RewriteEvent(red)
	w.batch[targetID] = &red
	if tev.IsState() && w.state[tev.Key()] == target.NID {
		w.redactedState = true
	}
	return nil
}

func outcomeOf(o core.Outcome) uint8 {
	switch o {
	case core.SoftFailed:
		return persistence.OutcomeSoftFailed
	case core.Rejected:
		return persistence.OutcomeRejected
	}
	return persistence.OutcomeAccepted
}

// backInRoom reports a membership that puts the user back in touch with the
// room: joined, invited or knocking.
func backInRoom(membership string) bool {
	switch membership {
	case event.MembershipJoin, event.MembershipInvite, event.MembershipKnock:
		return true
	}
	return false
}
