package publicroom

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// ErrNoSuchRoom is returned by Read for a room the store does not hold.
var ErrNoSuchRoom = errors.New("publicroom: unknown room")

// Entry is one room of the public room directory
// (definitions/public_rooms_chunk.yaml).
type Entry struct {
	RoomID           string  `json:"room_id"`
	Name             string  `json:"name,omitempty"`
	Topic            string  `json:"topic,omitempty"`
	CanonicalAlias   string  `json:"canonical_alias,omitempty"`
	AvatarURL        string  `json:"avatar_url,omitempty"`
	NumJoinedMembers int     `json:"num_joined_members"`
	WorldReadable    bool    `json:"world_readable"`
	GuestCanJoin     bool    `json:"guest_can_join"`
	JoinRule         string  `json:"join_rule,omitempty"`
	RoomType         *string `json:"room_type,omitempty"`
}

// Read builds roomID's directory entry from its current state. Malformed
// state content leaves the field it fills empty.
func Read(st *persistence.Store, roomID string) (Entry, error) {
	if _, err := st.Room(roomID); errors.Is(err, persistence.ErrNotFound) {
		return Entry{}, ErrNoSuchRoom
	} else if err != nil {
		return Entry{}, err
	}
	e := Entry{RoomID: roomID}
	content := func(typ string, v any) error {
		se, err := st.CurrentStateEvent(roomID, typ, "")
		if errors.Is(err, persistence.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c, err := storedContent(se)
		if err != nil {
			return err
		}
		_ = json.Unmarshal(c, v) // malformed content leaves the field empty
		return nil
	}
	var name struct{ Name string }
	var topic struct{ Topic string }
	var alias struct {
		Alias string `json:"alias"`
	}
	var avatar struct {
		URL string `json:"url"`
	}
	var rules struct {
		JoinRule string `json:"join_rule"`
	}
	var guests struct {
		GuestAccess string `json:"guest_access"`
	}
	var hv struct {
		V string `json:"history_visibility"`
	}
	var create struct {
		Type *string `json:"type"`
	}
	for _, f := range []struct {
		typ string
		v   any
	}{
		{event.TypeName, &name}, {event.TypeTopic, &topic}, {event.TypeCanonicalAlias, &alias},
		{"m.room.avatar", &avatar}, {event.TypeJoinRules, &rules}, {event.TypeGuestAccess, &guests},
		{event.TypeHistoryVisibility, &hv}, {event.TypeCreate, &create},
	} {
		if err := content(f.typ, f.v); err != nil {
			return e, err
		}
	}
	e.Name, e.Topic, e.CanonicalAlias, e.AvatarURL = name.Name, topic.Topic, alias.Alias, avatar.URL
	e.JoinRule = rules.JoinRule
	e.GuestCanJoin = guests.GuestAccess == "can_join"
	e.WorldReadable = hv.V == core.VisibilityWorldReadable
	e.RoomType = create.Type
	members, err := st.CurrentStateOfType(roomID, event.TypeMember)
	if err != nil {
		return e, err
	}
	for _, nid := range members {
		se, err := st.EventByNID(nid)
		if err != nil {
			return e, err
		}
		c, err := storedContent(se)
		if err != nil {
			continue // an undecodable member event counts as not joined
		}
		if core.MembershipOf(&event.Event{Type: event.TypeMember, Content: c}) == event.MembershipJoin {
			e.NumJoinedMembers++
		}
	}
	return e, nil
}

// storedContent decodes only the content of a stored event, which is much
// cheaper than a full PDU parse.
func storedContent(se persistence.StoredEvent) (json.RawMessage, error) {
	var h struct {
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(se.Raw, &h); err != nil {
		return nil, fmt.Errorf("%w: stored event: %v", persistence.ErrCorrupt, err)
	}
	return h.Content, nil
}
