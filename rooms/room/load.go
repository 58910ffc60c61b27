package room

import (
	"fmt"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Stored is what the room actor keeps of a room between activations: the
// current state events and the forward extremity events.
type Stored struct {
	RoomID      string
	Version     version.Spec
	State       []*event.Event
	Extremities []*event.Event
}

// Load rebuilds a Room from storage, after passivation or after a failed
// commit left an in-memory Room ahead of storage. The state must hold the
// room's m.room.create event and every event must be of the room.
func Load(st Stored, s Signer) (*Room, error) {
	r := newRoom(st.RoomID, st.Version, s)
	for _, ev := range st.State {
		if err := r.owns(ev); err != nil {
			return nil, err
		}
		if !ev.IsState() {
			return nil, fmt.Errorf("%w: %s in the state is not a state event", ErrMissingState, ev.ID)
		}
		r.setState(ev)
		r.maxDepth = max(r.maxDepth, ev.Depth)
	}
	if r.state[keyCreate] == nil {
		return nil, fmt.Errorf("%w: no m.room.create event", ErrMissingState)
	}
	if len(st.Extremities) == 0 {
		return nil, fmt.Errorf("%w: no forward extremities", ErrMissingState)
	}
	for _, ev := range st.Extremities {
		if err := r.owns(ev); err != nil {
			return nil, err
		}
		r.extremities = append(r.extremities, ev)
		r.maxDepth = max(r.maxDepth, ev.Depth)
	}
	return r, nil
}

// owns checks that ev is an event of this room and room version.
func (r *Room) owns(ev *event.Event) error {
	if ev.RoomID != r.id || ev.Version.ID != r.spec.ID {
		return fmt.Errorf("%w: %s is in %s (version %s), not %s (version %s)",
			ErrWrongRoom, ev.ID, ev.RoomID, ev.Version.ID, r.id, r.spec.ID)
	}
	return nil
}

// stateSnapshot returns the current state as slot → event ID.
func (r *Room) stateSnapshot() map[event.StateKey]string {
	out := make(map[event.StateKey]string, len(r.state))
	for k, ev := range r.state {
		out[k] = ev.ID
	}
	return out
}

var _ auth.State = (*Room)(nil)
