package room

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
)

// Inbound is a remote PDU whose format, hashes and signatures have been
// checked (server-server-api "Checks performed on receipt of a PDU", steps
// 1 to 3: event.Parse, the signature and hash checks, auth.CheckIndependent
// and auth.CheckSigners, all done before the room actor as DESIGN.md's
// step 8 says), with what the room needs to run the remaining checks.
type Inbound struct {
	Event *event.Event
	// AuthEvents are the accepted events among those Event.AuthEvents
	// names; a named event missing here counts as rejected.
	AuthEvents []*event.Event
	// PrevStates holds, for each of Event.PrevEvents, the state after that
	// event (slot → event ID). With more than one they are resolved with
	// the room version's state resolution.
	PrevStates []stateres.StateMap
	// Events serves every event the states name, their auth chains, and
	// the auth chains of the room's current state (state resolution walks
	// them).
	Events stateres.Events
	// AfterGap reports that a prev_event is not part of the room's
	// timeline here (an outlier whose state was fetched from another
	// server): this server may have missed state changes, so the soft-fail
	// check reads the resolution of the current state and the state before
	// the event rather than the current state alone (as Synapse does for
	// events after a gap, so that a ban still applies while a missed join
	// is known).
	AfterGap bool
	// StateAfter returns the state after one of the room's forward
	// extremities. Step calls it only when Event forks a room that has
	// several extremities whose states the Room does not hold (after a
	// Load); it may be nil otherwise.
	StateAfter func(eventID string) (stateres.StateMap, error)
}

// Step applies a checked remote event (server-server-api "Checks performed
// on receipt of a PDU", steps 4 to 6):
//
//   - authorised against its auth events: refused, it is Rejected;
//   - authorised against the state before it (the resolved PrevStates):
//     refused, it is Rejected;
//   - authorised against the current state: refused, it is SoftFailed
//     ("Soft failure"): stored, not an extremity, no state change.
//
// An accepted event becomes a forward extremity in place of its
// prev_events. If it descends from every extremity, the state after it is
// the new current state; otherwise the room has forked and the current
// state is the resolution of the states after every extremity, the event's
// and those of the extremities it leaves in place (forks.go).
//
// The returned error is for input Step cannot work with (another room,
// missing states or events); a refused event is not an error but an
// Outcome with its Reason.
func (r *Room) Step(in Inbound) (*Effects, error) {
	ev := in.Event
	if r.state[keyCreate] == nil {
		return nil, ErrNotCreated
	}
	if err := r.owns(ev); err != nil {
		return nil, err
	}
	if r.applied(ev) {
		return nil, fmt.Errorf("%w: %s", ErrKnownEvent, ev.ID)
	}
	if ev.Type == event.TypeCreate {
		return rejected(ev, errors.New("room: a room has one m.room.create event")), nil
	}
	// Step 4: against the auth events.
	if err := auth.CheckAuthEvents(ev, in.AuthEvents); err != nil {
		return rejected(ev, err), nil
	}
	authState := auth.StateMap{keyCreate: r.state[keyCreate]}
	for _, a := range in.AuthEvents {
		if a.IsState() && slices.Contains(ev.AuthEvents, a.ID) {
			authState[a.Key()] = a
		}
	}
	if err := auth.Allowed(ev, authState); err != nil {
		return rejected(ev, err), nil
	}
	// Step 5: against the state before the event.
	before, err := r.stateBefore(in)
	if err != nil {
		return nil, err
	}
	beforeEvents, err := r.slotsFor(ev, before, in.Events)
	if err != nil {
		return nil, err
	}
	if err := auth.Allowed(ev, beforeEvents); err != nil {
		return rejected(ev, err), nil
	}
	after := func() stateres.StateMap {
		out := maps.Clone(before)
		if ev.IsState() {
			out[ev.Key()] = ev.ID
		}
		return out
	}
	// Step 6: against the current state.
	current := r.state
	if in.AfterGap {
		if current, err = r.currentAfterGap(ev, before, in.Events); err != nil {
			return nil, err
		}
	}
	if err := auth.Allowed(ev, current); err != nil {
		return &Effects{Event: ev, Outcome: SoftFailed, Reason: err, EventState: after(), Extremities: r.Extremities()}, nil
	}

	forked := slices.ContainsFunc(r.extremities, func(x *event.Event) bool { return !slices.Contains(ev.PrevEvents, x.ID) })
	var eventState stateres.StateMap
	var next stateres.StateMap
	switch {
	case !forked && len(ev.PrevEvents) == len(r.extremities):
		// The event cites exactly the extremities, so the state before it
		// is the current state, which resolves theirs: nothing to replace.
	case !forked:
		next = before
	default:
		eventState = after()
		if next, err = r.resolveFork(ev, eventState, in.StateAfter, in.Events); err != nil {
			return nil, err
		}
	}
	fx := &Effects{Event: ev, EventState: eventState, Redacts: ev.Redacts, Relation: relationOf(ev.Content)}
	if next != nil {
		if err := r.replaceState(next, ev, in.Events, fx); err != nil {
			return nil, err
		}
	}
	if !forked && ev.IsState() {
		ch, mc := r.setState(ev)
		fx.StateDelta = insertChange(fx.StateDelta, ch)
		if mc != nil {
			fx.Memberships = append(fx.Memberships, *mc)
		}
	}
	r.advance(ev)
	r.keepForkStates(ev, false)
	fx.Extremities = r.Extremities()
	return fx, nil
}

// currentAfterGap is the current state for the soft-fail check of an
// event after a gap: the resolution of the room's current state and the
// state before the event, in the slots the auth rules read for it.
func (r *Room) currentAfterGap(ev *event.Event, before stateres.StateMap, events stateres.Events) (auth.StateMap, error) {
	resolved, err := stateres.Resolve(r.spec, []stateres.StateMap{r.stateSnapshot(), before}, newRoomEvents(r, nil, events))
	if err != nil {
		return nil, fmt.Errorf("%w: resolving the current state after a gap: %v", ErrMissingState, err)
	}
	return r.slotsFor(ev, resolved, events)
}

// applied reports whether ev is a forward extremity or in the current
// state, the events a Room can recognise.
func (r *Room) applied(ev *event.Event) bool {
	if slices.ContainsFunc(r.extremities, func(x *event.Event) bool { return x.ID == ev.ID }) {
		return true
	}
	if ev.IsState() {
		cur := r.state[ev.Key()]
		return cur != nil && cur.ID == ev.ID
	}
	return false
}

// insertChange adds ch to a delta sorted by slot, replacing a change of the
// same slot.
func insertChange(delta []StateChange, ch StateChange) []StateChange {
	i, found := slices.BinarySearchFunc(delta, ch.Key, func(c StateChange, k event.StateKey) int { return compareKeys(c.Key, k) })
	if found {
		ch.Old = delta[i].Old
		delta[i] = ch
		return delta
	}
	return slices.Insert(delta, i, ch)
}

// rejected is the Effects of a rejected event.
func rejected(ev *event.Event, reason error) *Effects {
	return &Effects{Event: ev, Outcome: Rejected, Reason: reason}
}

// stateBefore is the state before an inbound event: the state after its
// only prev_event, or the resolution of the states after each.
func (r *Room) stateBefore(in Inbound) (stateres.StateMap, error) {
	switch len(in.PrevStates) {
	case 0:
		return nil, fmt.Errorf("%w: no state for the prev_events of %s", ErrMissingState, in.Event.ID)
	case 1:
		return in.PrevStates[0], nil
	}
	s, err := stateres.Resolve(r.spec, in.PrevStates, newRoomEvents(r, nil, in.Events))
	if err != nil {
		return nil, fmt.Errorf("%w: resolving the state before %s: %v", ErrMissingState, in.Event.ID, err)
	}
	return s, nil
}

// slotsFor fetches from a state map the events the authorisation rules
// read for ev: the slots of the auth events selection, which are the only
// ones the rules consult, and the create event. Unchanged slots come from
// the current state, so a large room's state is not fetched per event.
func (r *Room) slotsFor(ev *event.Event, s stateres.StateMap, events stateres.Events) (auth.StateMap, error) {
	keys, err := auth.EventsNeeded(r.spec, ev.Type, ev.StateKey, ev.Sender, ev.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	src := newRoomEvents(r, nil, events)
	out := make(auth.StateMap, len(keys)+1)
	out[keyCreate] = r.state[keyCreate]
	for _, k := range keys {
		id, ok := s[k]
		if !ok {
			continue
		}
		if cur := r.state[k]; cur != nil && cur.ID == id {
			out[k] = cur
			continue
		}
		e, err := src.Event(id)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMissingState, err)
		}
		out[k] = e
	}
	return out, nil
}

// replaceState makes next the current state, recording the delta and the
// membership changes in fx. Slots next leaves empty are emptied: state
// resolution drops a slot that only a losing fork had filled, such as the
// join of a user that a concurrent change of the join rules refuses.
func (r *Room) replaceState(next stateres.StateMap, ev *event.Event, events stateres.Events, fx *Effects) error {
	if _, ok := next[keyCreate]; !ok {
		return fmt.Errorf("%w: the new state of the room has no m.room.create event", ErrMissingState)
	}
	src := newRoomEvents(r, ev, events)
	keys := make([]event.StateKey, 0, len(next))
	for k, id := range next {
		if cur := r.state[k]; cur == nil || cur.ID != id {
			keys = append(keys, k)
		}
	}
	for k := range r.state {
		if _, ok := next[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	changed := make([]*event.Event, len(keys)) // nil: the slot is emptied
	for i, k := range keys {
		id, ok := next[k]
		if !ok {
			continue
		}
		e, err := src.Event(id)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMissingState, err)
		}
		changed[i] = e
	}
	for i, e := range changed {
		var ch StateChange
		var mc *MembershipChange
		if e == nil {
			ch, mc = r.unsetState(keys[i])
		} else {
			ch, mc = r.setState(e)
		}
		fx.StateDelta = append(fx.StateDelta, ch)
		if mc != nil {
			fx.Memberships = append(fx.Memberships, *mc)
		}
	}
	return nil
}

// compareKeys orders state slots by type, then state key.
func compareKeys(a, b event.StateKey) int {
	switch {
	case a.Type < b.Type:
		return -1
	case a.Type > b.Type:
		return 1
	case a.StateKey < b.StateKey:
		return -1
	case a.StateKey > b.StateKey:
		return 1
	}
	return 0
}

// roomEvents serves events from the room's current state and extremities,
// one extra event, and then the caller's source. The index of the room's
// events is built on the first lookup that needs it.
type roomEvents struct {
	room  *Room
	extra *event.Event
	rest  stateres.Events
	byID  *map[string]*event.Event
}

// newRoomEvents serves the room's events and extra in front of rest.
func newRoomEvents(r *Room, extra *event.Event, rest stateres.Events) roomEvents {
	return roomEvents{room: r, extra: extra, rest: rest, byID: new(map[string]*event.Event)}
}

func (s roomEvents) Event(id string) (*event.Event, error) {
	if s.extra != nil && s.extra.ID == id {
		return s.extra, nil
	}
	if *s.byID == nil {
		m := make(map[string]*event.Event, len(s.room.state)+len(s.room.extremities))
		for _, ev := range s.room.state {
			m[ev.ID] = ev
		}
		for _, ev := range s.room.extremities {
			m[ev.ID] = ev
		}
		*s.byID = m
	}
	if ev, ok := (*s.byID)[id]; ok {
		return ev, nil
	}
	if s.rest == nil {
		return nil, fmt.Errorf("%w: %s", stateres.ErrMissingEvent, id)
	}
	return s.rest.Event(id)
}
