package room

import (
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// applyRedactions applies the backfilled redactions among the placed
// events to their targets when the targets are placed in the same batch
// or already stored (client-server-api "Redactions"; from room version 3
// the server that applies a redaction checks it,
// rooms/fragments/v3-handling-redactions.md: a redaction by a user of the
// target sender's server applies, any other needs the redact power level
// in the state before the redaction). In versions 1 and 2 the auth rules
// the caller ran have checked that already. It reports whether a target
// was an event of the room's current state, which the room core then
// holds unredacted.
func (p *placement) applyRedactions(order []*persistence.StoredEvent) (bool, error) {
	placed := make(map[string]*persistence.StoredEvent, len(order))
	for _, rec := range order {
		placed[rec.EventID] = rec
	}
	currentHit := false
	for _, rec := range order {
		red := p.chunk[rec.EventID]
		if red.Type != event.TypeRedaction || red.Redacts == "" || rec.Outcome != persistence.OutcomeAccepted {
			continue
		}
		var trec persistence.StoredEvent
		var target *event.Event
		if r, ok := placed[red.Redacts]; ok {
			trec, target = *r, p.chunk[red.Redacts]
		} else {
			r, err := p.store.EventByID(red.Redacts)
			if errors.Is(err, persistence.ErrNotFound) {
				continue
			}
			if err != nil {
				return false, err
			}
			if trec = r; trec.RoomID != p.roomID {
				continue
			}
			if target, err = trec.Event(); err != nil {
				return false, err
			}
		}
		done, err := p.redactOne(red, rec, &trec, target)
		if err != nil {
			return false, err
		}
		if !done {
			continue
		}
		if r, ok := placed[trec.EventID]; ok {
			*r = trec
		} else if target.IsState() {
			cur, err := p.store.CurrentState(p.roomID)
			if err != nil {
				return false, err
			}
			currentHit = currentHit || cur[target.Key()] == trec.NID
		}
	}
	// Redactions that arrived (after the join) before their targets.
	for _, rec := range order {
		ids, err := p.store.PendingRedactions(p.roomID, rec.EventID)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			rrec, err := p.store.EventByID(id)
			if err != nil {
				return false, fmt.Errorf("pending redaction %s: %w", id, err)
			}
			red, err := rrec.Event()
			if err != nil {
				return false, err
			}
			if _, err := p.redactOne(red, &rrec, rec, p.chunk[rec.EventID]); err != nil {
				return false, err
			}
			p.b.DeletePendingRedaction(p.roomID, rec.EventID, id)
		}
	}
	return currentHit, nil
}

// redactOne applies red (stored as redRec) to the target stored as trec,
// if it may; trec is updated in place.
func (p *placement) redactOne(red *event.Event, redRec, trec *persistence.StoredEvent, target *event.Event) (bool, error) {
	if trec.Redacted || trec.Outcome == persistence.OutcomeRejected {
		return false, nil
	}
	ok, err := p.mayRedact(red, redRec, target)
	if err != nil || !ok {
		return false, err
	}
	raw, err := core.ApplyRedaction(target, red)
	if err != nil {
		return false, nil // not a redaction of this event: nothing to apply
	}
	trec.Raw, trec.Redacted = raw, true
	p.b.RewriteEvent(*trec)
	return true, nil
}

// mayRedact reports whether red may redact target (see applyRedactions).
func (p *placement) mayRedact(red *event.Event, rec *persistence.StoredEvent, target *event.Event) (bool, error) {
	if red.Version.Auth == version.AuthV1 {
		return true, nil // versions 1 and 2: the auth rules checked it
	}
	if serverOfUser(red.Sender) == serverOfUser(target.Sender) {
		return true, nil
	}
	st, err := p.state(rec.StateBefore)
	if err != nil {
		return false, err
	}
	state := auth.StateMap{}
	for _, k := range []event.StateKey{{Type: event.TypeCreate}, {Type: event.TypePowerLevels}} {
		nid, ok := st[k]
		if !ok {
			continue
		}
		ev, err := p.eventByNID(nid)
		if err != nil {
			return false, err
		}
		state[k] = ev
	}
	pl, err := auth.PowerLevels(red.Version, state)
	if err != nil {
		return false, nil
	}
	level, creator := auth.UserPowerLevel(red.Version, state, red.Sender)
	return creator || level >= pl.Redact, nil
}

// eventByNID finds an event of the state by NID: one placed in this
// batch, or one stored.
func (p *placement) eventByNID(nid uint64) (*event.Event, error) {
	for id, n := range p.nids {
		if n == nid && p.reach[id] {
			return p.chunk[id], nil
		}
	}
	rec, err := p.store.EventByNID(nid)
	if err != nil {
		return nil, err
	}
	return rec.Event()
}
