package stateres

import (
	"fmt"

	"github.com/axonhs/axon/rooms/event"
)

// Events fetches events by ID. Resolution reads the events of the state
// sets and their whole auth chains; callers serve them from memory or from
// storage. Event returns an error (wrapping ErrMissingEvent is best) when the
// event is unknown.
type Events interface {
	Event(id string) (*event.Event, error)
}

// Rejections may be implemented by an Events source that remembers which
// events were rejected on receipt. The iterative auth checks then ignore
// rejected events when building the state an event is checked against (v2
// "Rejected events": rejected auth events are not used). Without it every
// event is taken as accepted.
type Rejections interface {
	Rejected(id string) bool
}

// StateMap is room state as slot → event ID.
type StateMap = map[event.StateKey]string

// EventMap is an Events source held in memory, keyed by event ID.
type EventMap map[string]*event.Event

// Event returns the event with the given ID, or an error wrapping
// ErrMissingEvent.
func (m EventMap) Event(id string) (*event.Event, error) {
	if ev, ok := m[id]; ok && ev != nil {
		return ev, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrMissingEvent, id)
}

// Add stores events under their IDs.
func (m EventMap) Add(evs ...*event.Event) {
	for _, ev := range evs {
		m[ev.ID] = ev
	}
}
