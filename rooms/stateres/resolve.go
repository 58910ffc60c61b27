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
	return NewResolver(v, events).Resolve(sets)
}

// Resolver resolves the state of one room again and again. It keeps what
// it learnt of the room's auth graph between calls — events numbered,
// their auth events fetched, their senders' power levels — since events
// never change; a later resolution then only fetches events it has not
// seen. It suits a room actor that resolves every fork of its room. Its
// memory grows with the events it has seen; drop it to free them. A
// Resolver is not safe for concurrent use.
type Resolver struct {
	v      version.Spec
	src    Events
	g      *graph
	levels map[levelKey]int64
}

// NewResolver returns a Resolver for a room of version v whose events come
// from events.
func NewResolver(v version.Spec, events Events) *Resolver {
	return &Resolver{v: v, src: events}
}

// graph returns the Resolver's auth graph, made with room for about n
// events on first use.
func (r *Resolver) graph(n int) *graph {
	if r.g == nil {
		r.g = newGraphSized(r.v, r.src, n)
	}
	return r.g
}

// Resolve returns the resolved state of the state sets, as the package
// function Resolve does.
func (r *Resolver) Resolve(sets []StateMap) (StateMap, error) {
	v := r.v
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
		return r.resolveV1(sets)
	case version.StateResV2:
		return r.resolveV2(sets, false)
	case version.StateResV21:
		return r.resolveV2(sets, true)
	default:
		return nil, fmt.Errorf("%w: %d (room version %s)", ErrUnsupported, v.StateRes, v.ID)
	}
}

func errSlot(id string, key event.StateKey) error {
	return fmt.Errorf("%w: event %s is not the state event of slot (%q, %q)",
		ErrBadInput, id, key.Type, key.StateKey)
}
