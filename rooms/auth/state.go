package auth

import "github.com/axonhs/axon/rooms/event"

// State is the room state an event is authorised against: the event's auth
// events, the state before it, or the room's current state. Get returns nil
// when the slot is empty.
type State interface {
	Get(key event.StateKey) *event.Event
}

// StateMap is a State held in a map.
type StateMap map[event.StateKey]*event.Event

// Get returns the event in slot k, or nil.
func (m StateMap) Get(k event.StateKey) *event.Event { return m[k] }

// Slot helpers for the slots the rules read.
var (
	keyCreate      = event.StateKey{Type: event.TypeCreate}
	keyPowerLevels = event.StateKey{Type: event.TypePowerLevels}
	keyJoinRules   = event.StateKey{Type: event.TypeJoinRules}
)

func keyMember(userID string) event.StateKey {
	return event.StateKey{Type: event.TypeMember, StateKey: userID}
}

func keyThirdPartyInvite(token string) event.StateKey {
	return event.StateKey{Type: event.TypeThirdPartyInvite, StateKey: token}
}

// StateFromAuthEvents is the state an event is first checked against
// (server-server-api "Checks performed on receipt of a PDU", step 4): its
// accepted auth events, plus the room's create event, which v12 events no
// longer cite (v12.md rule 2 derives it from the room ID). create may be nil
// when the auth events include it.
func StateFromAuthEvents(create *event.Event, authEvents []*event.Event) StateMap {
	m := make(StateMap, len(authEvents)+1)
	if create != nil {
		m[keyCreate] = create
	}
	for _, a := range authEvents {
		if a.StateKey != nil {
			m[a.Key()] = a
		}
	}
	return m
}
