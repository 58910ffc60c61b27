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
