package auth

import (
	"github.com/axonhs/axon/rooms/event"
)

// CheckAuthEvents runs the rules on an event's auth_events list (v1–v11
// rule 2, v12 rule 3): no two entries for one state slot, only the slots
// the auth events selection picks, none rejected, an m.room.create among
// them (v1–v11; v12 must not cite it), all in the event's room.
//
// authEvents are the accepted events among those ev.AuthEvents names; an
// ID with no event here counts as rejected (or unknown) and refuses ev.
// Events passed but not named by ev are ignored. m.room.create has no auth
// events and always passes.
func CheckAuthEvents(ev *event.Event, authEvents []*event.Event) error {
	if ev.Type == event.TypeCreate {
		return nil
	}
	v, n := ev.Version, numberingFor(ev.Version)
	const path = "auth_events"
	at := func(sub int, reason string) error { return reject(v, num(n.authEvents, sub), path, reason) }

	byID := make(map[string]*event.Event, len(authEvents))
	for _, a := range authEvents {
		byID[a.ID] = a
	}
	cited := make([]*event.Event, 0, len(ev.AuthEvents))
	missing := ""
	for _, id := range ev.AuthEvents {
		if a, ok := byID[id]; ok {
			cited = append(cited, a)
		} else if missing == "" {
			missing = id
		}
	}

	seen := make(map[event.StateKey]bool, len(cited))
	for _, a := range cited {
		if a.StateKey == nil {
			return at(2, "auth event "+a.ID+" is not a state event")
		}
		k := a.Key()
		if seen[k] {
			return at(1, "two auth events for ("+k.Type+", "+k.StateKey+")")
		}
		seen[k] = true
	}

	needed, err := EventsNeeded(v, ev.Type, ev.StateKey, ev.Sender, ev.Content)
	if err != nil {
		return at(2, err.Error())
	}
	for k := range seen {
		if !containsKey(needed, k) {
			return at(2, "auth event ("+k.Type+", "+k.StateKey+") is not selected for this event")
		}
	}
	if missing != "" {
		return at(3, "auth event "+missing+" is rejected or unknown")
	}
	if !ev.Version.RoomIDFromCreateEvent && !seen[keyCreate] {
		return at(4, "no m.room.create among the auth events")
	}
	for _, a := range cited {
		if a.RoomID != ev.RoomID {
			return at(5, "auth event "+a.ID+" is in another room")
		}
	}
	return nil
}

func containsKey(keys []event.StateKey, k event.StateKey) bool {
	for _, have := range keys {
		if have == k {
			return true
		}
	}
	return false
}
