package auth

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// checkCreate is rule 1 of every version, the m.room.create rules. They need
// no state, so CheckIndependent and Allowed both run them.
func checkCreate(ev *event.Event) error {
	v := ev.Version
	const path = "create"
	if len(ev.PrevEvents) > 0 {
		return reject(v, "1.1", path, "m.room.create has prev_events")
	}
	if v.RoomIDFromCreateEvent {
		// v12.md rule 1.2: the room ID is derived from this event's ID.
		if createHasRoomID(ev) {
			return reject(v, "1.2", path, "m.room.create has a room_id")
		}
	} else if !sameDomainID(ev.RoomID, ev.Sender) {
		return reject(v, "1.2", path, "room_id's domain does not match sender's")
	}
	var c struct {
		RoomVersion json.RawMessage `json:"room_version"`
		Creator     json.RawMessage `json:"creator"`
	}
	if err := json.Unmarshal(ev.Content, &c); err != nil {
		return reject(v, "1.3", path, "content is not an object")
	}
	if c.RoomVersion != nil {
		var id string
		if json.Unmarshal(c.RoomVersion, &id) != nil {
			return reject(v, "1.3", path, "content.room_version is not a string")
		}
		if _, err := version.Lookup(version.ID(id)); err != nil {
			return rejectf(v, "1.3", path, "room version %q is not recognised", id)
		}
	}
	if v.CreatorInContent && c.Creator == nil {
		return reject(v, "1.4", path, "content has no creator")
	}
	if v.PrivilegedCreators {
		ids, ok := additionalCreators(ev.Content)
		if !ok {
			return reject(v, "1.4", path, "additional_creators is not an array of strings")
		}
		for _, id := range ids {
			if !validUserID(id) {
				return rejectf(v, "1.4", path, "additional_creators entry %q is not a valid user ID", id)
			}
		}
	}
	return nil
}

// createHasRoomID reports whether a v12 create event carries a room_id. The
// wire form decides when it is known; a parser may fill RoomID with the
// derived ID, which does not count.
func createHasRoomID(ev *event.Event) bool {
	if len(ev.Raw) > 0 {
		var probe struct {
			RoomID json.RawMessage `json:"room_id"`
		}
		return json.Unmarshal(ev.Raw, &probe) == nil && probe.RoomID != nil
	}
	return ev.RoomID != "" && !roomIDMatchesCreate(ev.RoomID, ev.ID)
}

// sameDomainID reports whether two IDs of the form sigil+local:domain have
// the same domain.
func sameDomainID(a, b string) bool {
	da, ok1 := domainOf(a)
	db, ok2 := domainOf(b)
	return ok1 && ok2 && da == db
}
