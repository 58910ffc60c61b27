package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	"github.com/axonhs/axon/rooms/version"
)

// maxNameBytes is the longest room name: the m.room.name schema says the
// name "MUST NOT exceed 255 bytes".
const maxNameBytes = 255

// checkShape checks what a proposal must be before it is built: the event
// type and state key within their limits (client-server-api "Size limits"),
// content a JSON object, and for the state types the spec defines content of
// the shape their event schema gives (data/event-schemas/schema). Unknown
// types are only held to the object rule.
func checkShape(v version.Spec, p *Proposal) error {
	if p.Type == "" || len(p.Type) > event.MaxIDBytes {
		return fmt.Errorf("%w: event type must be 1 to %d bytes", ErrInvalidParam, event.MaxIDBytes)
	}
	if p.StateKey != nil && len(*p.StateKey) > event.MaxIDBytes {
		return fmt.Errorf("%w: state key over %d bytes", ErrInvalidParam, event.MaxIDBytes)
	}
	// JSON strings are Unicode: invalid UTF-8 would be replaced on encoding,
	// changing the type or state key (and its length) behind the client.
	if !utf8.ValidString(p.Type) || (p.StateKey != nil && !utf8.ValidString(*p.StateKey)) {
		return fmt.Errorf("%w: event type and state key must be valid UTF-8", ErrInvalidParam)
	}
	if p.Type == event.TypeCreate {
		return fmt.Errorf("%w: m.room.create is sent only when a room is created", ErrInvalidParam)
	}
	content := p.Content
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	if !json.Valid(content) || bytes.TrimSpace(content)[0] != '{' {
		return fmt.Errorf("%w: content is not a JSON object", ErrBadJSON)
	}
	if p.Type == event.TypeRedaction {
		if _, err := ids.ParseEventID(p.Redacts); err != nil {
			return fmt.Errorf("%w: redacts: %v", ErrInvalidParam, err)
		}
		return nil
	}
	if p.Redacts != "" {
		return fmt.Errorf("%w: only m.room.redaction redacts an event", ErrInvalidParam)
	}
	if p.StateKey == nil {
		return nil
	}
	if err := checkStateContent(v, p.Type, *p.StateKey, content); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadJSON, p.Type, err)
	}
	return nil
}

// checkStateContent checks the content of the state types with a schema.
func checkStateContent(v version.Spec, typ, stateKey string, content json.RawMessage) error {
	switch typ {
	case event.TypeMember:
		return checkMember(v, stateKey, content)
	case event.TypePowerLevels:
		// The auth package owns the power-level grammar of each version
		// (integers from v10; strings and, up to v5, floats before).
		ev := &event.Event{Type: typ, StateKey: &stateKey, Content: content, Version: v}
		_, err := auth.PowerLevels(v, auth.StateMap{ev.Key(): ev})
		return err
	case event.TypeJoinRules:
		return checkJoinRules(v, content)
	case event.TypeHistoryVisibility:
		var c struct {
			V *string `json:"history_visibility"`
		}
		return oneOf(content, &c, &c.V, "history_visibility", "world_readable", "shared", "invited", "joined")
	case event.TypeGuestAccess:
		var c struct {
			V *string `json:"guest_access"`
		}
		return oneOf(content, &c, &c.V, "guest_access", "can_join", "forbidden")
	case event.TypeName:
		var c struct {
			Name *string `json:"name"`
		}
		if err := json.Unmarshal(content, &c); err != nil {
			return err
		}
		if c.Name != nil && len(*c.Name) > maxNameBytes {
			return fmt.Errorf("name over %d bytes", maxNameBytes)
		}
	case event.TypeTopic:
		var c struct {
			Topic *string `json:"topic"`
		}
		return json.Unmarshal(content, &c)
	case event.TypeCanonicalAlias:
		return checkCanonicalAlias(content)
	case event.TypeTombstone:
		var c struct {
			Body        string `json:"body"`
			Replacement string `json:"replacement_room"`
		}
		if err := json.Unmarshal(content, &c); err != nil {
			return err
		}
		if _, err := ids.ParseRoomID(c.Replacement); err != nil {
			return fmt.Errorf("replacement_room: %v", err)
		}
	case event.TypeServerACL:
		var c struct {
			Allow []string `json:"allow"`
			Deny  []string `json:"deny"`
			IPLit *bool    `json:"allow_ip_literals"`
		}
		return json.Unmarshal(content, &c)
	case event.TypeEncryption:
		var c struct {
			Algorithm *string `json:"algorithm"`
		}
		if err := json.Unmarshal(content, &c); err != nil {
			return err
		}
		if c.Algorithm == nil || *c.Algorithm == "" {
			return fmt.Errorf("algorithm is required")
		}
	}
	return nil
}

// oneOf decodes content into c and checks the string *field is one of
// allowed.
func oneOf(content json.RawMessage, c any, field **string, name string, allowed ...string) error {
	if err := json.Unmarshal(content, c); err != nil {
		return err
	}
	if *field == nil || !slices.Contains(allowed, **field) {
		return fmt.Errorf("%s must be one of %v", name, allowed)
	}
	return nil
}

// checkMember checks m.room.member: a user ID as state key, a known
// membership the version supports, and the optional fields' types.
func checkMember(v version.Spec, stateKey string, content json.RawMessage) error {
	if _, err := ids.ParseUserIDLenient(stateKey); err != nil {
		return fmt.Errorf("state key: %v", err)
	}
	var c struct {
		Membership  *string `json:"membership"`
		DisplayName *string `json:"displayname"`
		AvatarURL   *string `json:"avatar_url"`
		IsDirect    *bool   `json:"is_direct"`
		Reason      *string `json:"reason"`
	}
	if err := json.Unmarshal(content, &c); err != nil {
		return err
	}
	if c.Membership == nil {
		return fmt.Errorf("membership is required")
	}
	switch *c.Membership {
	case event.MembershipJoin, event.MembershipInvite, event.MembershipLeave, event.MembershipBan:
	case event.MembershipKnock:
		if !v.Knock {
			return fmt.Errorf("room version %s has no knock membership", v.ID)
		}
	default:
		return fmt.Errorf("unknown membership %q", *c.Membership)
	}
	return nil
}

// checkJoinRules checks m.room.join_rules: a join rule the version knows
// and, for the restricted rules, a well-formed allow list.
func checkJoinRules(v version.Spec, content json.RawMessage) error {
	var c struct {
		JoinRule *string `json:"join_rule"`
		Allow    []struct {
			Type   string  `json:"type"`
			RoomID *string `json:"room_id"`
		} `json:"allow"`
	}
	if err := json.Unmarshal(content, &c); err != nil {
		return err
	}
	if c.JoinRule == nil {
		return fmt.Errorf("join_rule is required")
	}
	ok := false
	switch *c.JoinRule {
	case "public", "invite", "private":
		ok = true
	case "knock":
		ok = v.Knock
	case "restricted":
		ok = v.Restricted
	case "knock_restricted":
		ok = v.KnockRestricted
	}
	if !ok {
		return fmt.Errorf("join_rule %q is not available in room version %s", *c.JoinRule, v.ID)
	}
	for _, a := range c.Allow {
		if a.Type != "m.room_membership" {
			continue
		}
		if a.RoomID == nil {
			return fmt.Errorf("allow: m.room_membership needs a room_id")
		}
		if _, err := ids.ParseRoomID(*a.RoomID); err != nil {
			return fmt.Errorf("allow: %v", err)
		}
	}
	return nil
}

// checkCanonicalAlias checks m.room.canonical_alias: alias and alt_aliases
// must be valid room aliases.
func checkCanonicalAlias(content json.RawMessage) error {
	var c struct {
		Alias      *string  `json:"alias"`
		AltAliases []string `json:"alt_aliases"`
	}
	if err := json.Unmarshal(content, &c); err != nil {
		return err
	}
	if c.Alias != nil {
		if _, err := ids.ParseRoomAlias(*c.Alias); err != nil {
			return fmt.Errorf("alias: %v", err)
		}
	}
	for _, a := range c.AltAliases {
		if _, err := ids.ParseRoomAlias(a); err != nil {
			return fmt.Errorf("alt_aliases: %v", err)
		}
	}
	return nil
}
