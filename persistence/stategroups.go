package persistence

import (
	"fmt"

	"github.com/axonhs/axon/rooms/event"
)

// StateGroupByID reads one state group.
func (s *Store) StateGroupByID(id uint64) (StateGroup, error) {
	var g StateGroup
	err := s.getJSON(stateGroupKey(id), &g)
	return g, err
}

// StateOfGroup resolves a state group to the full state: it walks parents
// back to the nearest snapshot and applies the deltas forwards. Group 0 is
// the empty state (before a room's create event).
func (s *Store) StateOfGroup(id uint64) (StateMap, error) {
	var chain []StateGroup
	for id != 0 {
		g, err := s.StateGroupByID(id)
		if err != nil {
			return nil, fmt.Errorf("state group %d: %w", id, err)
		}
		chain = append(chain, g)
		if g.Snapshot {
			break
		}
		id = g.Parent
		if len(chain) > 4*SnapshotInterval {
			return nil, fmt.Errorf("%w: state group chain longer than %d", ErrCorrupt, len(chain))
		}
	}
	out := make(StateMap)
	for i := len(chain) - 1; i >= 0; i-- {
		for _, e := range chain[i].Entries {
			k := event.StateKey{Type: e.Type, StateKey: e.StateKey}
			if e.NID == 0 {
				delete(out, k)
			} else {
				out[k] = e.NID
			}
		}
	}
	return out, nil
}

// StateBefore returns the room state before an event (what the auth rules
// and history visibility read for it).
func (s *Store) StateBefore(e StoredEvent) (StateMap, error) { return s.StateOfGroup(e.StateBefore) }

// StateAfter returns the room state after an event.
func (s *Store) StateAfter(e StoredEvent) (StateMap, error) { return s.StateOfGroup(e.StateAfter) }

// StateEvent returns the event in one slot of a state map, or nil when the
// slot is empty.
func (s *Store) StateEvent(m StateMap, typ, stateKey string) (*StoredEvent, error) {
	nid, ok := m[event.StateKey{Type: typ, StateKey: stateKey}]
	if !ok {
		return nil, nil
	}
	e, err := s.EventByNID(nid)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// MembershipAt returns userID's membership in the state before e ("leave"
// when the user has none), the view history visibility needs.
func (s *Store) MembershipAt(e StoredEvent, userID string) (string, error) {
	m, err := s.StateBefore(e)
	if err != nil {
		return "", err
	}
	me, err := s.StateEvent(m, event.TypeMember, userID)
	if err != nil || me == nil {
		return event.MembershipLeave, err
	}
	ev, err := me.Event()
	if err != nil {
		return "", err
	}
	return membershipOfContent(ev), nil
}
