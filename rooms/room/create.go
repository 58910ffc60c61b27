package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	"github.com/axonhs/axon/rooms/version"
)

// Presets of POST /createRoom (create_room.yaml "preset").
const (
	PresetPrivateChat        = "private_chat"
	PresetTrustedPrivateChat = "trusted_private_chat"
	PresetPublicChat         = "public_chat"
)

// StateEvent is one entry of initial_state.
type StateEvent struct {
	Type     string
	StateKey string
	Content  json.RawMessage
}

// Predecessor is the room an upgraded room replaces (m.room.create
// "predecessor").
type Predecessor struct {
	RoomID  string
	EventID string // optional from room version 12
}

// CreateParams is a POST /createRoom request as the room core needs it.
// The handler resolves what needs I/O first: the alias (already checked to
// be free), the creator's profile.
type CreateParams struct {
	Creator string
	// Version is the new room's version; the handler applies the server's
	// configured default when the request names none.
	Version version.Spec
	// RoomID is the new room's ID in room versions 1 to 11; when empty one
	// is made from the Signer's randomness. Version 12 derives it from the
	// create event and ignores this.
	RoomID string
	// Preset is one of the Preset constants; "" picks one from Visibility.
	Preset string
	// Visibility is "public" or "private" (the default); it chooses the
	// preset when none is given. Publishing the room is the caller's job.
	Visibility string
	// CreationContent is extra m.room.create content; creator and
	// room_version are overwritten.
	CreationContent json.RawMessage
	// PowerLevelOverride replaces top-level keys of the default
	// m.room.power_levels content.
	PowerLevelOverride json.RawMessage
	// Alias is the full canonical alias (#room_alias_name:server), or "".
	Alias        string
	InitialState []StateEvent
	Name         *string
	Topic        *string
	Invite       []string
	IsDirect     bool
	// Creator's profile for their join event.
	DisplayName string
	AvatarURL   string
	// AdditionalCreators are extra creators of a room version 12 room
	// (from POST /upgrade); creation_content and the trusted preset may add
	// more.
	AdditionalCreators []string
	Predecessor        *Predecessor
}

// roomIDLetters is the length of the random part of a generated room ID.
const roomIDLetters = 18

// Create makes a new room and returns it with the Effects of every event
// it sent, in the order create_room.yaml prescribes: m.room.create, the
// creator's join, m.room.power_levels, m.room.canonical_alias, the preset's
// join rules, history visibility and guest access, initial_state, name,
// topic, and the invites. Each event is authorised against the state the
// earlier ones built ("The server MUST apply the normal state resolution
// rules when creating the new room, including checking power levels for
// each event").
//
// Errors wrap ErrInvalidParam, ErrBadJSON, ErrNotLocal, ErrTooLarge, or
// ErrInvalidRoomState (with the *auth.Error) when the room's own events
// are refused.
func Create(p CreateParams, s Signer, now int64) (*Room, []*Effects, error) {
	v := p.Version
	if _, err := version.Lookup(v.ID); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidParam, err)
	}
	if serverOf(p.Creator) != s.ServerName {
		return nil, nil, fmt.Errorf("%w: %q", ErrNotLocal, p.Creator)
	}
	preset, err := presetOf(p)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range p.Invite {
		if _, err := ids.ParseUserIDLenient(u); err != nil {
			return nil, nil, fmt.Errorf("%w: invite: %v", ErrInvalidParam, err)
		}
	}
	initial, err := initialState(p)
	if err != nil {
		return nil, nil, err
	}
	createContent, err := createContent(p, preset)
	if err != nil {
		return nil, nil, err
	}

	roomID := p.RoomID
	if v.RoomIDFromCreateEvent {
		roomID = ""
	} else if roomID == "" {
		if roomID, err = newRoomID(s); err != nil {
			return nil, nil, err
		}
	} else if _, err := ids.ParseRoomID(roomID); err != nil {
		return nil, nil, fmt.Errorf("%w: room ID: %v", ErrInvalidParam, err)
	}
	r := newRoom(roomID, v, s)
	create, err := r.sign(&event.Proto{
		RoomID: roomID, Type: event.TypeCreate, StateKey: StateKeyOf(""), Sender: p.Creator,
		Content: createContent, Depth: 1, OriginServerTS: now, Rand: s.Rand,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := r.authorise(create); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidRoomState, err)
	}
	if v.RoomIDFromCreateEvent {
		r.id = "!" + create.ID[1:]
	}
	all := []*Effects{r.localEffects(create)}

	plContent, err := powerLevelContent(p, preset, initial)
	if err != nil {
		return nil, nil, err
	}
	steps := []Proposal{Join(p.Creator, MemberOptions{DisplayName: p.DisplayName, AvatarURL: p.AvatarURL})}
	steps = append(steps, stateProposal(p.Creator, event.TypePowerLevels, "", plContent))
	if p.Alias != "" {
		steps = append(steps, stateProposal(p.Creator, event.TypeCanonicalAlias, "", mustMarshal(map[string]any{"alias": p.Alias})))
	}
	for _, e := range presetEvents(preset) {
		if !hasState(initial, e.Type, e.StateKey) {
			steps = append(steps, stateProposal(p.Creator, e.Type, e.StateKey, e.Content))
		}
	}
	for _, e := range initial {
		switch {
		case e.Type == event.TypePowerLevels && e.StateKey == "":
			continue // sent above as the base of the power levels
		case e.Type == event.TypeName && e.StateKey == "" && p.Name != nil,
			e.Type == event.TypeTopic && e.StateKey == "" && p.Topic != nil:
			continue // "This overwrites any m.room.name/topic event in initial_state"
		}
		steps = append(steps, stateProposal(p.Creator, e.Type, e.StateKey, e.Content))
	}
	if p.Name != nil {
		steps = append(steps, stateProposal(p.Creator, event.TypeName, "", mustMarshal(map[string]any{"name": *p.Name})))
	}
	if p.Topic != nil {
		steps = append(steps, stateProposal(p.Creator, event.TypeTopic, "", topicContent(*p.Topic)))
	}
	for _, u := range p.Invite {
		steps = append(steps, Invite(p.Creator, u, MemberOptions{IsDirect: p.IsDirect}))
	}
	for i := range steps {
		fx, err := r.propose(&steps[i], now, ErrInvalidRoomState)
		if err != nil {
			return nil, nil, fmt.Errorf("creating room: %s event %d: %w", steps[i].Type, i+2, err)
		}
		all = append(all, fx)
	}
	return r, all, nil
}

// stateProposal is a state event proposal.
func stateProposal(sender, typ, stateKey string, content json.RawMessage) Proposal {
	return Proposal{Type: typ, StateKey: StateKeyOf(stateKey), Sender: sender, Content: content}
}

// topicContent is m.room.topic content with the plain-text topic and its
// text/plain representation in m.topic (create_room.yaml "topic": "an
// m.room.topic event with a text/plain mimetype").
func topicContent(topic string) json.RawMessage {
	return mustMarshal(map[string]any{
		"topic":   topic,
		"m.topic": map[string]any{"m.text": []any{map[string]any{"body": topic, "mimetype": "text/plain"}}},
	})
}

// presetOf returns the preset to apply: the one asked for, else the one
// the visibility implies ("A visibility of public equates to a preset of
// public_chat and private visibility equates to a preset of private_chat").
func presetOf(p CreateParams) (string, error) {
	switch p.Visibility {
	case "", "private", "public":
	default:
		return "", fmt.Errorf("%w: visibility %q", ErrInvalidParam, p.Visibility)
	}
	switch p.Preset {
	case PresetPrivateChat, PresetTrustedPrivateChat, PresetPublicChat:
		return p.Preset, nil
	case "":
		if p.Visibility == "public" {
			return PresetPublicChat, nil
		}
		return PresetPrivateChat, nil
	}
	return "", fmt.Errorf("%w: preset %q", ErrInvalidParam, p.Preset)
}

// presetEvents are the state events a preset sets (create_room.yaml, the
// table of presets).
func presetEvents(preset string) []StateEvent {
	joinRule, guest := "invite", "can_join"
	if preset == PresetPublicChat {
		joinRule, guest = "public", "forbidden"
	}
	return []StateEvent{
		{Type: event.TypeJoinRules, Content: mustMarshal(map[string]any{"join_rule": joinRule})},
		{Type: event.TypeHistoryVisibility, Content: mustMarshal(map[string]any{"history_visibility": "shared"})},
		{Type: event.TypeGuestAccess, Content: mustMarshal(map[string]any{"guest_access": guest})},
	}
}

// initialState checks initial_state: every entry needs a type and object
// content, and m.room.create cannot be set this way.
func initialState(p CreateParams) ([]StateEvent, error) {
	for _, e := range p.InitialState {
		if e.Type == "" {
			return nil, fmt.Errorf("%w: initial_state entry without a type", ErrInvalidParam)
		}
		if e.Type == event.TypeCreate {
			return nil, fmt.Errorf("%w: initial_state cannot hold m.room.create; use creation_content", ErrInvalidParam)
		}
		if _, err := objectMembers(e.Content); err != nil {
			return nil, fmt.Errorf("initial_state %s: %w", e.Type, err)
		}
	}
	return p.InitialState, nil
}

// hasState reports whether initial_state sets slot (typ, stateKey).
func hasState(initial []StateEvent, typ, stateKey string) bool {
	return slices.ContainsFunc(initial, func(e StateEvent) bool { return e.Type == typ && e.StateKey == stateKey })
}

// newRoomID makes `!opaque:server` from the Signer's randomness (appendices
// "Room IDs": the opaque part is chosen by the creating server).
func newRoomID(s Signer) (string, error) {
	if s.Rand == nil {
		return "", fmt.Errorf("%w: the signer has no randomness for a room ID", ErrInvalidParam)
	}
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	buf := make([]byte, roomIDLetters)
	if _, err := io.ReadFull(s.Rand, buf); err != nil {
		return "", fmt.Errorf("%w: reading randomness: %v", ErrBuild, err)
	}
	for i, b := range buf {
		buf[i] = letters[int(b)%len(letters)]
	}
	return "!" + string(buf) + ":" + s.ServerName, nil
}

// errNotObject is wrapped when a JSON value that must be an object is not.
var errNotObject = errors.New("not a JSON object")
