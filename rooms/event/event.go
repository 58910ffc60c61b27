package event

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/version"
)

// Event is a parsed, checked PDU of one room version. The exported fields are
// the parts every algorithm reads (auth rules, state resolution, the room
// core); Raw is the event exactly as it was hashed and signed, and is what is
// stored and sent. An Event is immutable once built or parsed: share it, never
// modify it.
//
// Whatever the wire format, PrevEvents and AuthEvents hold plain event IDs
// (format v1's [id, hashes] pairs are reduced to their IDs), and ID is set
// (taken from the event in format v1, computed from the reference hash
// otherwise).
type Event struct {
	ID             string
	RoomID         string
	Type           string
	StateKey       *string // nil for a message event; "" is a valid state key
	Sender         string
	Origin         string // deprecated top-level origin, if present
	Content        json.RawMessage
	PrevEvents     []string
	AuthEvents     []string
	Depth          int64
	OriginServerTS int64
	Redacts        string // top-level redacts (v1–v10) or content.redacts (v11+)
	Unsigned       json.RawMessage

	Version version.Spec
	Raw     json.RawMessage
}

// StateKey identifies a slot of room state: (type, state_key).
type StateKey struct {
	Type     string
	StateKey string
}

// IsState reports whether the event is a state event.
func (e *Event) IsState() bool { return e.StateKey != nil }

// Key returns the event's state slot; it is only meaningful for state events.
func (e *Event) Key() StateKey {
	if e.StateKey == nil {
		return StateKey{Type: e.Type}
	}
	return StateKey{Type: e.Type, StateKey: *e.StateKey}
}

// Well-known event types whose rules live in this module.
const (
	TypeCreate            = "m.room.create"
	TypeMember            = "m.room.member"
	TypePowerLevels       = "m.room.power_levels"
	TypeJoinRules         = "m.room.join_rules"
	TypeThirdPartyInvite  = "m.room.third_party_invite"
	TypeHistoryVisibility = "m.room.history_visibility"
	TypeAliases           = "m.room.aliases"
	TypeCanonicalAlias    = "m.room.canonical_alias"
	TypeRedaction         = "m.room.redaction"
	TypeName              = "m.room.name"
	TypeTopic             = "m.room.topic"
	TypeServerACL         = "m.room.server_acl"
	TypeTombstone         = "m.room.tombstone"
	TypeEncryption        = "m.room.encryption"
	TypeGuestAccess       = "m.room.guest_access"
)

// Membership values of m.room.member.
const (
	MembershipJoin   = "join"
	MembershipInvite = "invite"
	MembershipLeave  = "leave"
	MembershipBan    = "ban"
	MembershipKnock  = "knock"
)
