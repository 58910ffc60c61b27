package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/axonhs/axon/rooms/ids"
)

// objectMembers decodes a JSON object into its top-level members; nil or
// empty input is the empty object.
func objectMembers(raw json.RawMessage) (map[string]json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, errNotObject)
	}
	return m, nil
}

// createContent is the m.room.create content of a new room:
// creation_content with room_version (and, in v1–v10, creator) written by
// the server (create_room.yaml "creation_content": "The server will
// overwrite the following keys: creator, room_version"), the predecessor of
// an upgrade, and in room version 12 the additional creators.
func createContent(p CreateParams, preset string) (json.RawMessage, error) {
	c, err := objectMembers(p.CreationContent)
	if err != nil {
		return nil, fmt.Errorf("creation_content: %w", err)
	}
	c["room_version"] = mustMarshal(string(p.Version.ID))
	if p.Version.CreatorInContent {
		c["creator"] = mustMarshal(p.Creator)
	} else {
		// From v11 the creator is the create event's sender (v11.md "Remove
		// the creator property").
		delete(c, "creator")
	}
	if p.Predecessor != nil {
		pred := map[string]any{"room_id": p.Predecessor.RoomID}
		if p.Predecessor.EventID != "" {
			pred["event_id"] = p.Predecessor.EventID
		}
		c["predecessor"] = mustMarshal(pred)
	}
	if p.Version.PrivilegedCreators {
		extra, err := additionalCreators(p, preset, c["additional_creators"])
		if err != nil {
			return nil, err
		}
		if len(extra) == 0 {
			delete(c, "additional_creators")
		} else {
			c["additional_creators"] = mustMarshal(extra)
		}
	}
	out, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: creation_content: %v", ErrBadJSON, err)
	}
	return out, nil
}

// additionalCreators merges creation_content's additional_creators, those
// of an upgrade, and for trusted_private_chat the invitees
// (create_room.yaml: "the server SHOULD combine additional_creators
// specified here and the invite array ..., deduplicating between the two"),
// without the creator, who is a creator anyway.
func additionalCreators(p CreateParams, preset string, given json.RawMessage) ([]string, error) {
	var users []string
	if given != nil {
		if err := json.Unmarshal(given, &users); err != nil {
			return nil, fmt.Errorf("%w: additional_creators must be an array of user IDs", ErrBadJSON)
		}
	}
	users = append(users, p.AdditionalCreators...)
	if preset == PresetTrustedPrivateChat {
		users = append(users, p.Invite...)
	}
	out := make([]string, 0, len(users))
	for _, u := range users {
		if _, err := ids.ParseUserIDLenient(u); err != nil {
			return nil, fmt.Errorf("%w: additional_creators: %v", ErrInvalidParam, err)
		}
		if u != p.Creator && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}
