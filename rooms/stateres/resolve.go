package stateres

import (
	"fmt"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Resolve returns the resolved state of several state sets of one room
// version, using the algorithm v.StateRes names: v1 (room version 1), v2
// (room versions 2 to 11) or v2.1 (room version 12). No sets resolve to the
// empty state, one set to itself. events must serve every event of the sets
// and, for v2 and v2.1, their whole auth chains.
//
// Errors wrap ErrMissingEvent, ErrCycle, ErrBadInput or ErrUnsupported.
func Resolve(v version.Spec, sets []StateMap, events Events) (StateMap, error) {
	switch len(sets) {
	case 0:
		return StateMap{}, nil
	case 1:
		out := make(StateMap, len(sets[0]))
		for k, id := range sets[0] {
			out[k] = id
		}
		return out, nil
	}
	switch v.StateRes {
	case version.StateResV1:
		return resolveV1(v, sets, events)
	case version.StateResV2:
		return resolveV2(v, sets, events, false)
	case version.StateResV21:
		return resolveV2(v, sets, events, true)
	default:
		return nil, fmt.Errorf("%w: %d (room version %s)", ErrUnsupported, v.StateRes, v.ID)
	}
}

func errSlot(id string, key event.StateKey) error {
	return fmt.Errorf("%w: event %s is not the state event of slot (%q, %q)",
		ErrBadInput, id, key.Type, key.StateKey)
}
