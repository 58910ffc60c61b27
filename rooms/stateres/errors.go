package stateres

import "errors"

var (
	// ErrMissingEvent is returned when an event named by a state set or by an
	// auth_events list cannot be fetched.
	ErrMissingEvent = errors.New("stateres: missing event")
	// ErrCycle is returned when the auth_events links form a cycle, which no
	// valid room has.
	ErrCycle = errors.New("stateres: cycle in the auth graph")
	// ErrBadInput is returned for state sets that cannot be resolved: an
	// event in the wrong slot, a message event in state, events of another
	// room or room version.
	ErrBadInput = errors.New("stateres: invalid input")
	// ErrUnsupported is returned for a room version whose StateRes field
	// names no algorithm this package knows.
	ErrUnsupported = errors.New("stateres: unsupported state resolution algorithm")
)
