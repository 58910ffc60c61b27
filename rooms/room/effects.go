package room

import (
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
)

// Effects is what one event did to a room: everything the caller persists
// in its batch and everyone it tells once the batch has committed.
type Effects struct {
	// Event is the new event, built and signed (Propose, Create) or as
	// received (Step).
	Event *event.Event
	// Outcome says whether Step accepted, soft-failed or rejected the event.
	// Propose and Create only return accepted events.
	Outcome Outcome
	// Reason is the authorisation refusal behind a soft-failed or rejected
	// event.
	Reason error
	// StateDelta lists the current-state slots the event changed, in slot
	// order. A forked Step may change several slots.
	StateDelta []StateChange
	// EventState is, for Step only, the state after the event (slot → event
	// ID) when it is not the room's current state: for an event on a fork
	// and for a soft-failed event. It is nil when the current state after
	// the event is the event's state.
	EventState stateres.StateMap
	// Extremities are the forward extremities after the event.
	Extremities []string
	// Memberships lists the membership changes of the event.
	Memberships []MembershipChange
	// Destinations are the servers to send the event to: every server in
	// the room before or after it other than ours (so a server whose last
	// user just left or was kicked hears of it), and the target's server of
	// a membership event. Empty for events received through Step.
	Destinations []string
	// Relation is the m.relates_to the event declares, for a relations
	// index; nil when there is none.
	Relation *Relation
	// Redacts is the ID of the event an m.room.redaction redacts.
	Redacts string
}

// Outcome is what happened to an event.
type Outcome int

const (
	// Accepted events are part of the room and its state.
	Accepted Outcome = iota
	// SoftFailed events passed the checks against their auth events and the
	// state before them but not against the current state
	// (server-server-api "Soft failure"): they are stored, not served to
	// clients, not made forward extremities and do not change the state.
	SoftFailed
	// Rejected events failed the checks against their auth events or the
	// state before them: they are stored as rejected so they are not fetched
	// again, and nothing else changes.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case SoftFailed:
		return "soft-failed"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// StateChange is one current-state slot that changed: Old is the event ID
// it held ("" for an empty slot), New the one it holds now.
type StateChange struct {
	Key event.StateKey
	Old string
	New string
}

// MembershipChange is a user's membership before and after an event
// ("leave" stands for no membership at all).
type MembershipChange struct {
	UserID string
	Old    string
	New    string
}

// Relation is the m.relates_to of an event (client-server-api "Forming
// relationships between events"): its rel_type and the related event.
type Relation struct {
	RelType string
	EventID string
}
