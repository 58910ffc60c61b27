package room

import (
	"fmt"
	"maps"
	"slices"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
)

// The current state of a forked room is the resolution of the states after
// all of its forward extremities together (server-server-api "Room State":
// the state of the room is the result of state resolution over the
// extremities' states). State resolution is not associative: resolving a
// new fork against the previous current state, which already resolved the
// others, can give another answer than resolving every fork at once, and
// servers that saw the forks in different orders then disagree for good.
// So while the room has more than one extremity, the Room keeps the state
// after each; with one, that state is the current state.

// extremityStates returns the states after the forward extremities that ev
// leaves in place (those it does not cite as prev_events), taken from the
// Room or, for extremities it does not hold a state for (a Room loaded with
// several extremities), from stateAfter.
func (r *Room) extremityStates(ev *event.Event, stateAfter func(eventID string) (stateres.StateMap, error)) (map[string]stateres.StateMap, error) {
	out := make(map[string]stateres.StateMap, len(r.extremities))
	for _, x := range r.extremities {
		if slices.Contains(ev.PrevEvents, x.ID) {
			continue
		}
		switch s, ok := r.forkStates[x.ID]; {
		case ok:
			out[x.ID] = s
		case len(r.extremities) == 1:
			out[x.ID] = r.stateSnapshot()
		case stateAfter == nil:
			return nil, fmt.Errorf("%w: no state after the forward extremity %s", ErrMissingState, x.ID)
		default:
			s, err := stateAfter(x.ID)
			if err != nil {
				return nil, fmt.Errorf("%w: state after the forward extremity %s: %v", ErrMissingState, x.ID, err)
			}
			out[x.ID] = s
		}
	}
	return out, nil
}

// resolveFork is the current state once ev, whose state after it is
// eventState, joins the extremities it leaves in place; it records the
// states the Room keeps for them.
func (r *Room) resolveFork(ev *event.Event, eventState stateres.StateMap, stateAfter func(string) (stateres.StateMap, error), events stateres.Events) (stateres.StateMap, error) {
	kept, err := r.extremityStates(ev, stateAfter)
	if err != nil {
		return nil, err
	}
	ids := slices.Sorted(maps.Keys(kept))
	sets := make([]stateres.StateMap, 0, len(ids)+1)
	for _, id := range ids {
		sets = append(sets, kept[id])
	}
	sets = append(sets, eventState)
	next, err := stateres.Resolve(r.spec, sets, newRoomEvents(r, ev, events))
	if err != nil {
		return nil, fmt.Errorf("%w: resolving the fork: %v", ErrMissingState, err)
	}
	if r.forkStates == nil {
		r.forkStates = make(map[string]stateres.StateMap, len(kept)+1)
	}
	maps.Copy(r.forkStates, kept)
	r.forkStates[ev.ID] = eventState
	return next, nil
}

// keepForkStates drops the states of events that are no longer forward
// extremities, and all of them once the room has a single extremity again.
// A local event that leaves older extremities in place (a room with more
// forks than one event cites) has the current state after it.
func (r *Room) keepForkStates(ev *event.Event, local bool) {
	if len(r.extremities) <= 1 {
		r.forkStates = nil
		return
	}
	for id := range r.forkStates {
		if !slices.ContainsFunc(r.extremities, func(x *event.Event) bool { return x.ID == id }) {
			delete(r.forkStates, id)
		}
	}
	if local {
		if r.forkStates == nil {
			r.forkStates = make(map[string]stateres.StateMap)
		}
		r.forkStates[ev.ID] = r.stateSnapshot()
	}
}
