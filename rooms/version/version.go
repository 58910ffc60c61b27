package version

import (
	"errors"
	"fmt"
)

// ID is a room version identifier as it appears in m.room.create's
// room_version field ("1" … "12").
type ID string

// EventFormat is the shape of a PDU on the wire.
type EventFormat int

const (
	// FormatV1 carries event_id inside the event and auth_events/prev_events
	// as [event_id, {hashes}] pairs (room versions 1 and 2).
	FormatV1 EventFormat = iota + 1
	// FormatV2 derives event IDs from the reference hash and lists
	// auth_events/prev_events as plain IDs (room versions 3 to 11).
	FormatV2
	// FormatV3 is FormatV2 without a room_id on m.room.create; the room ID is
	// derived from the create event's reference hash (room version 12).
	FormatV3
)

// EventIDFormat is how an event ID is written.
type EventIDFormat int

const (
	// EventIDServerOpaque is `$opaque:server`, chosen by the origin (v1, v2).
	EventIDServerOpaque EventIDFormat = iota + 1
	// EventIDBase64 is `$` + standard unpadded base64 of the reference hash (v3).
	EventIDBase64
	// EventIDURLSafeBase64 is `$` + URL-safe unpadded base64 of the reference
	// hash (v4 and later).
	EventIDURLSafeBase64
)

// RedactionRules names the redaction algorithm a version uses, by the room
// version that introduced it.
type RedactionRules int

const (
	RedactionV1  RedactionRules = 1
	RedactionV6  RedactionRules = 6
	RedactionV8  RedactionRules = 8
	RedactionV9  RedactionRules = 9
	RedactionV11 RedactionRules = 11
)

// AuthRules names the authorisation rules a version uses, by the room version
// that introduced each revision.
type AuthRules int

const (
	AuthV1 AuthRules = 1
	AuthV3 AuthRules = 3
	AuthV6 AuthRules = 6
	AuthV7 AuthRules = 7
	AuthV8 AuthRules = 8
	// AuthV9 is not used by any version: room version 9 changed only the
	// redaction algorithm and keeps AuthV8 (v9.md, "Unchanged from v8").
	AuthV9  AuthRules = 9
	AuthV10 AuthRules = 10
	AuthV11 AuthRules = 11
	AuthV12 AuthRules = 12
)

// StateRes names the state resolution algorithm.
type StateRes int

const (
	// StateResV1 is the original algorithm (room version 1).
	StateResV1 StateRes = 1
	// StateResV2 is the algorithm of room versions 2 to 11.
	StateResV2 StateRes = 2
	// StateResV21 is v2 amended by room version 12: resolution starts from
	// the empty state and the conflicted set includes the conflicted subgraph.
	StateResV21 StateRes = 21
)

// Spec is everything that differs between room versions. A Spec is a plain
// value; compare versions through its fields, never by parsing the ID.
type Spec struct {
	ID        ID
	Stable    bool
	Format    EventFormat
	EventIDs  EventIDFormat
	Redaction RedactionRules
	Auth      AuthRules
	StateRes  StateRes

	// StrictCanonicalJSON rejects floats, out-of-range integers and duplicate
	// keys in events (room version 6 and later).
	StrictCanonicalJSON bool
	// EnforceKeyValidity requires the signing key to be valid at the event's
	// origin_server_ts (room version 5 and later).
	EnforceKeyValidity bool
	// IntegerPowerLevels rejects power-level values that are not JSON
	// integers (room version 10 and later). Before v10 the spec's fragment
	// "m.room.power_levels events accept values as strings" applies.
	IntegerPowerLevels bool
	// FloatPowerLevels accepts power-level values written as floats,
	// truncated towards zero (fragment "m.room.power_levels events accept
	// values as floats", room versions 1 to 5).
	FloatPowerLevels bool
	// SpecialCaseAliases gives m.room.aliases its own auth rule (v1 to v5).
	SpecialCaseAliases bool
	// Knock allows the "knock" join rule and membership (v7 and later).
	Knock bool
	// Restricted allows the "restricted" join rule (v8 and later).
	Restricted bool
	// KnockRestricted allows the "knock_restricted" join rule (v10 and later).
	KnockRestricted bool
	// CreatorInContent takes the room creator from content.creator of
	// m.room.create rather than its sender (v1 to v10).
	CreatorInContent bool
	// PrivilegedCreators gives the create event's sender and
	// additional_creators infinite power (v12).
	PrivilegedCreators bool
	// RoomIDFromCreateEvent derives the room ID from the reference hash of
	// the create event (v12).
	RoomIDFromCreateEvent bool
	// RedactsInContent carries m.room.redaction's target in content.redacts
	// instead of a top-level redacts property (v11 and later).
	RedactsInContent bool
}

// Default is the room version new rooms get unless a client asks otherwise.
// Spec v1.19, rooms/_index.md "Complete list of room versions": "Servers
// SHOULD use room version 12 as the default room version when creating new
// rooms."
const Default ID = "12"

var registry = func() map[ID]Spec {
	v1 := Spec{
		ID: "1", Stable: true, Format: FormatV1, EventIDs: EventIDServerOpaque,
		Redaction: RedactionV1, Auth: AuthV1, StateRes: StateResV1,
		SpecialCaseAliases: true, CreatorInContent: true, FloatPowerLevels: true,
	}
	v2 := v1
	v2.ID, v2.StateRes = "2", StateResV2
	v3 := v2
	v3.ID, v3.Format, v3.EventIDs, v3.Auth = "3", FormatV2, EventIDBase64, AuthV3
	v4 := v3
	v4.ID, v4.EventIDs = "4", EventIDURLSafeBase64
	v5 := v4
	v5.ID, v5.EnforceKeyValidity = "5", true
	v6 := v5
	v6.ID, v6.Redaction, v6.Auth = "6", RedactionV6, AuthV6
	v6.StrictCanonicalJSON, v6.SpecialCaseAliases, v6.FloatPowerLevels = true, false, false
	v7 := v6
	v7.ID, v7.Auth, v7.Knock = "7", AuthV7, true
	v8 := v7
	v8.ID, v8.Auth, v8.Redaction, v8.Restricted = "8", AuthV8, RedactionV8, true
	v9 := v8
	// v9 changes only the redaction algorithm; its authorisation rules are
	// the v8-auth-rules fragment, unchanged.
	v9.ID, v9.Redaction = "9", RedactionV9
	v10 := v9
	v10.ID, v10.Auth, v10.IntegerPowerLevels, v10.KnockRestricted = "10", AuthV10, true, true
	v11 := v10
	v11.ID, v11.Auth, v11.Redaction, v11.CreatorInContent = "11", AuthV11, RedactionV11, false
	v11.RedactsInContent = true
	v12 := v11
	v12.ID, v12.Format, v12.Auth, v12.StateRes = "12", FormatV3, AuthV12, StateResV21
	v12.PrivilegedCreators, v12.RoomIDFromCreateEvent = true, true
	m := map[ID]Spec{}
	for _, s := range []Spec{v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12} {
		m[s.ID] = s
	}
	return m
}()

// ErrUnknown is returned for a room version this server does not implement.
var ErrUnknown = errors.New("version: unsupported room version")

// Lookup returns the rules of a room version.
func Lookup(id ID) (Spec, error) {
	s, ok := registry[id]
	if !ok {
		return Spec{}, fmt.Errorf("%w %q", ErrUnknown, string(id))
	}
	return s, nil
}

// All returns every supported version, in numeric order.
func All() []Spec {
	out := make([]Spec, 0, len(registry))
	for i := 1; i <= len(registry); i++ {
		out = append(out, registry[ID(fmt.Sprint(i))])
	}
	return out
}
