package room

import (
	"context"
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
)

// ErrMissingPrev reports an inbound event whose prev_events or auth_events
// this server does not hold; the caller fetches them (federation's
// missing-events fetcher) and steps again.
var ErrMissingPrev = errors.New("room: prev or auth events of the event are not stored")

// StepResult is what the room made of a remote event.
type StepResult struct {
	Outcome core.Outcome
	// Reason is the authorisation refusal of a rejected or soft-failed
	// event.
	Reason error
	// Known reports an event the room had already stored.
	Known bool
}

// stepRequest carries remote events of one room through the room actor.
// The actor fills res and errs before the reply, which orders the writes
// before the caller's reads.
type stepRequest struct {
	evs  []*event.Event
	res  []StepResult
	errs []error
	// forwardFrom, when set, makes the actor send each accepted event on
	// to the other servers in the room but this one (forward.go).
	forwardFrom string
}

// Step applies a remote PDU whose format, signatures and hashes the caller
// has checked (server-server-api "Checks performed on receipt of a PDU",
// steps 1 to 3) and whose prev_events and auth_events are stored. The room
// actor gathers the auth events and the states after the prev_events and
// runs rooms/room.Step (steps 4 to 6); the event is stored, with its
// outcome, in the actor's next batch, and Step returns once that batch has
// committed.
func (d *Directory) Step(ctx context.Context, ev *event.Event) (StepResult, error) {
	res, errs, err := d.StepAll(ctx, []*event.Event{ev})
	if err != nil {
		return StepResult{}, err
	}
	return res[0], errs[0]
}

// StepAll is Step for several events of one room, in order, applied in one
// visit of the room actor and committed together (the PDUs of one
// transaction: each may cite the ones before it). errs[i] is the error
// of evs[i] alone (ErrMissingPrev, for one); err fails them all.
func (d *Directory) StepAll(ctx context.Context, evs []*event.Event) ([]StepResult, []error, error) {
	if len(evs) == 0 {
		return nil, nil, nil
	}
	req := &stepRequest{evs: evs, res: make([]StepResult, len(evs)), errs: make([]error, len(evs))}
	if _, err := d.send(ctx, &envelope{roomID: evs[0].RoomID, step: req}); err != nil {
		return nil, nil, err
	}
	return req.res, req.errs, nil
}

// applyStep runs a step request on the loaded room; like tryPropose it
// reports whether the reply waits for the flush. The reply goes with the
// last event queued: batches commit in order, and a failed commit fails
// everything pending after it too.
func (a *roomActor) applyStep(m *envelope) (string, error, bool) {
	req := m.step
	var last *pending
	for i, ev := range req.evs {
		if ev.RoomID != a.roomID {
			req.errs[i] = fmt.Errorf("%w: %s", core.ErrWrongRoom, ev.ID)
			continue
		}
		p, known, err := a.stepOne(ev, &req.res[i])
		switch {
		case err != nil:
			req.errs[i] = err
		case known:
			req.res[i].Known = true
		default:
			last = p
			if req.forwardFrom != "" {
				a.forward(p.eff, req.forwardFrom)
			}
		}
	}
	if last == nil {
		return "", nil, false
	}
	last.replies = append(last.replies, m.reply)
	return "", nil, true
}

// stepOne steps one event and queues its Effects.
func (a *roomActor) stepOne(ev *event.Event, res *StepResult) (*pending, bool, error) {
	if _, _, ok := a.pendingEvent(ev.ID); ok && !a.pendingOutlier(ev.ID) {
		return nil, true, nil
	}
	// An event held as an outlier is stepped like a new one and enters the
	// timeline under its outlier's NID (writer.timelineNID).
	var outlierNID uint64
	if rec, err := a.w.lookup(ev.ID); err == nil {
		if !rec.Outlier {
			return nil, true, nil
		}
		outlierNID = rec.NID
	}
	in, err := a.inbound(ev)
	if err != nil {
		return nil, false, err
	}
	eff, err := a.room.Step(in)
	if errors.Is(err, core.ErrKnownEvent) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	res.Outcome, res.Reason = eff.Outcome, eff.Reason
	if outlierNID != 0 {
		if a.w.outliers == nil {
			a.w.outliers = make(map[string]uint64)
		}
		a.w.outliers[ev.ID] = outlierNID
	}
	a.rememberState(eff)
	p := &pending{eff: eff}
	a.pending = append(a.pending, p)
	return p, false, nil
}

// pendingEvent finds an event applied to the room but not yet written to
// a batch (an earlier PDU of the same transaction).
func (a *roomActor) pendingEvent(id string) (*event.Event, core.Outcome, bool) {
	for i := len(a.pending) - 1; i >= 0; i-- {
		if e := a.pending[i].eff.Event; e.ID == id {
			return e, a.pending[i].eff.Outcome, true
		}
	}
	return nil, 0, false
}

// inbound gathers what rooms/room.Step needs from storage and from the
// events of the batch being built.
func (a *roomActor) inbound(ev *event.Event) (core.Inbound, error) {
	src := &storedEvents{w: a.w, pending: a.pendingEvent}
	in := core.Inbound{Event: ev, Events: src, StateAfter: a.stateAfter}
	for _, id := range ev.AuthEvents {
		if e, outcome, ok := a.pendingEvent(id); ok {
			if outcome != core.Rejected {
				in.AuthEvents = append(in.AuthEvents, e)
			}
			continue
		}
		rec, err := a.w.lookup(id)
		if errors.Is(err, persistence.ErrNotFound) {
			return in, fmt.Errorf("%w: auth event %s", ErrMissingPrev, id)
		}
		if err != nil {
			return in, err
		}
		if rec.Outcome == persistence.OutcomeRejected {
			continue // counts as a rejected auth event
		}
		e, err := src.Event(id)
		if err != nil {
			return in, err
		}
		in.AuthEvents = append(in.AuthEvents, e)
	}
	extrem := a.room.Extremities()
	for _, id := range ev.PrevEvents {
		if s, ok := a.w.stepStates[id]; ok {
			in.PrevStates = append(in.PrevStates, s)
			continue
		}
		if len(extrem) == 1 && extrem[0] == id {
			// The only extremity: the current state is the state after it.
			in.PrevStates = append(in.PrevStates, a.currentStateMap())
			continue
		}
		s, outlier, err := a.storedStateAfter(id)
		if err != nil {
			return in, err
		}
		in.PrevStates = append(in.PrevStates, s)
		in.AfterGap = in.AfterGap || outlier
	}
	return in, nil
}

// stateAfter is the state after an event the room actor stepped recently
// or has committed: what rooms/room.Step asks for the forward extremities a
// forking event leaves in place.
func (a *roomActor) stateAfter(eventID string) (stateres.StateMap, error) {
	if s, ok := a.w.stepStates[eventID]; ok {
		return s, nil
	}
	s, _, err := a.storedStateAfter(eventID)
	return s, err
}

// storedStateAfter reads the state after a committed event as a map of
// event IDs; outlier reports an event outside the timeline (its state was
// fetched from another server: the PDU citing it comes after a gap).
func (a *roomActor) storedStateAfter(eventID string) (_ stateres.StateMap, outlier bool, _ error) {
	rec, err := a.w.lookup(eventID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, false, fmt.Errorf("%w: prev event %s", ErrMissingPrev, eventID)
	}
	if err != nil {
		return nil, false, err
	}
	if rec.Outlier && rec.StateAfter == 0 {
		// Held, but the state at it was never fetched (an auth event, or
		// an event of a fetched state): the caller asks for /state_ids.
		return nil, false, fmt.Errorf("%w: state at outlier %s is not known", ErrMissingPrev, eventID)
	}
	if a.uncommitted(eventID) {
		// Written in a batch still being committed, not the extremity and
		// not remembered: the state group is not readable until the commit.
		return nil, false, fmt.Errorf("%w: state after %s is not committed", ErrMissingPrev, eventID)
	}
	nids, err := a.dir.cfg.Store.StateAfter(*rec)
	if err != nil {
		return nil, false, err
	}
	list := make([]uint64, 0, len(nids))
	keys := make([]event.StateKey, 0, len(nids))
	for k, nid := range nids {
		keys = append(keys, k)
		list = append(list, nid)
	}
	recs, err := a.dir.cfg.Store.EventsByNID(list)
	if err != nil {
		return nil, false, err
	}
	out := make(stateres.StateMap, len(recs))
	for i, r := range recs {
		out[keys[i]] = r.EventID
	}
	return out, rec.Outlier, nil
}

// uncommitted reports an event of the batch in flight (PipelineCommits).
// The writer's batch map still holds the last batch's events after it has
// committed, so it cannot tell: an event committed by the previous flush
// has a readable state group.
func (a *roomActor) uncommitted(eventID string) bool {
	for _, p := range a.inflight {
		if p.eff.Event.ID == eventID {
			return true
		}
	}
	return false
}

func (a *roomActor) currentStateMap() stateres.StateMap {
	evs := a.room.StateEvents()
	out := make(stateres.StateMap, len(evs))
	for _, e := range evs {
		out[e.Key()] = e.ID
	}
	return out
}

// maxStepStates bounds the states remembered after recently stepped events.
const maxStepStates = 256

// rememberState keeps the state after a stepped event, so that the next
// event of the same transaction, which cites it as a prev_event, needs no
// read of a state group the batch has not committed yet.
func (a *roomActor) rememberState(eff *core.Effects) {
	if eff.Outcome == core.Rejected {
		return
	}
	if a.w.stepStates == nil || len(a.w.stepStates) >= maxStepStates {
		a.w.stepStates = make(map[string]stateres.StateMap)
	}
	s := eff.EventState
	if s == nil {
		s = a.currentStateMap()
	}
	a.w.stepStates[eff.Event.ID] = s
}

// storedEvents serves events to the room core's Step and state resolution
// from the batch being built and from Pebble.
type storedEvents struct {
	w       *writer
	pending func(id string) (*event.Event, core.Outcome, bool)
	cache   map[string]*event.Event
}

func (s *storedEvents) Event(id string) (*event.Event, error) {
	if e, ok := s.cache[id]; ok {
		return e, nil
	}
	if e, _, ok := s.pending(id); ok {
		return e, nil
	}
	rec, err := s.w.lookup(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", stateres.ErrMissingEvent, id, err)
	}
	e, err := rec.Event()
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = make(map[string]*event.Event)
	}
	s.cache[id] = e
	return e, nil
}

// SetOutboxHook sets Config.OnOutbox. Call it before the directory serves
// its first proposal (the server actors are built after the rooms).
func (d *Directory) SetOutboxHook(h func(destinations []string)) { d.cfg.OnOutbox = h }
