package event

import (
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/version"
)

// redactionRules is one revision of the redaction algorithm: the top-level
// keys that survive, and per event type the content keys that survive.
type redactionRules struct {
	topLevel map[string]bool
	content  map[string]map[string]bool
	// keepAllCreateContent keeps every key of m.room.create's content (v11).
	keepAllCreateContent bool
	// keepSignedThirdPartyInvite keeps content.third_party_invite.signed of
	// m.room.member (v11).
	keepSignedThirdPartyInvite bool
}

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// topLevelV1 is the list of fragments v1-redactions, v6-redactions,
// v9-redactions and the v8 page: "the server must strip off any keys not in
// the following list".
var topLevelV1 = set("event_id", "type", "room_id", "sender", "state_key", "content",
	"hashes", "signatures", "depth", "prev_events", "prev_state", "auth_events",
	"origin", "origin_server_ts", "membership")

// topLevelV11 is fragment v11-redactions: origin, membership and prev_state
// are no longer protected.
var topLevelV11 = set("event_id", "type", "room_id", "sender", "state_key", "content",
	"hashes", "signatures", "depth", "prev_events", "auth_events", "origin_server_ts")

var powerLevelKeysV1 = set("ban", "events", "events_default", "kick", "redact",
	"state_default", "users", "users_default")

var redactionByVersion = map[version.RedactionRules]redactionRules{
	// rooms/fragments/v1-redactions.md
	version.RedactionV1: {topLevel: topLevelV1, content: map[string]map[string]bool{
		TypeMember:            set("membership"),
		TypeCreate:            set("creator"),
		TypeJoinRules:         set("join_rule"),
		TypePowerLevels:       powerLevelKeysV1,
		TypeAliases:           set("aliases"),
		TypeHistoryVisibility: set("history_visibility"),
	}},
	// rooms/fragments/v6-redactions.md: m.room.aliases loses its protection.
	version.RedactionV6: {topLevel: topLevelV1, content: map[string]map[string]bool{
		TypeMember:            set("membership"),
		TypeCreate:            set("creator"),
		TypeJoinRules:         set("join_rule"),
		TypePowerLevels:       powerLevelKeysV1,
		TypeHistoryVisibility: set("history_visibility"),
	}},
	// rooms/v8.md "Redactions": m.room.join_rules also keeps allow.
	version.RedactionV8: {topLevel: topLevelV1, content: map[string]map[string]bool{
		TypeMember:            set("membership"),
		TypeCreate:            set("creator"),
		TypeJoinRules:         set("join_rule", "allow"),
		TypePowerLevels:       powerLevelKeysV1,
		TypeHistoryVisibility: set("history_visibility"),
	}},
	// rooms/fragments/v9-redactions.md: m.room.member also keeps
	// join_authorised_via_users_server.
	version.RedactionV9: {topLevel: topLevelV1, content: map[string]map[string]bool{
		TypeMember:            set("membership", "join_authorised_via_users_server"),
		TypeCreate:            set("creator"),
		TypeJoinRules:         set("join_rule", "allow"),
		TypePowerLevels:       powerLevelKeysV1,
		TypeHistoryVisibility: set("history_visibility"),
	}},
	// rooms/fragments/v11-redactions.md: all of create's content, invite in
	// power levels, redacts in redactions, third_party_invite.signed in
	// members.
	version.RedactionV11: {topLevel: topLevelV11, content: map[string]map[string]bool{
		TypeMember:            set("membership", "join_authorised_via_users_server"),
		TypeJoinRules:         set("join_rule", "allow"),
		TypePowerLevels:       set("ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users", "users_default"),
		TypeHistoryVisibility: set("history_visibility"),
		TypeRedaction:         set("redacts"),
	}, keepAllCreateContent: true, keepSignedThirdPartyInvite: true},
}

func rulesFor(v version.Spec) (redactionRules, error) {
	r, ok := redactionByVersion[v.Redaction]
	if !ok {
		return redactionRules{}, fmt.Errorf("%w: redaction rules %d of room version %q", ErrRoomVersion, v.Redaction, v.ID)
	}
	return r, nil
}

// Redact applies the room version's redaction algorithm to an event and
// returns the redacted event as canonical JSON. Keys outside the protected
// list are removed, so unsigned is always dropped and signatures and hashes
// are kept. The event must be a JSON object that canonicalises under the
// version's canonical-JSON rules; it need not be a complete PDU.
func Redact(raw []byte, v version.Spec) ([]byte, error) {
	members, err := topMembers(raw, v)
	if err != nil {
		return nil, err
	}
	kept, err := redactMembers(members, v, false)
	if err != nil {
		return nil, err
	}
	return appendObject(kept), nil
}

// redactMembers returns the members of an event that survive redaction,
// with content already reduced. dropSignatures also removes signatures,
// which gives the object the reference hash and the signatures cover.
// The returned slice is new; the values may share memory with members.
func redactMembers(members []canonical.Member, v version.Spec, dropSignatures bool) ([]canonical.Member, error) {
	rules, err := rulesFor(v)
	if err != nil {
		return nil, err
	}
	eventType, _ := stringMember(members, "type")
	kept := make([]canonical.Member, 0, len(members))
	for _, m := range members {
		if !rules.topLevel[m.Key] || (dropSignatures && m.Key == "signatures") {
			continue
		}
		if m.Key == "content" {
			content, err := redactContent(m.Value, eventType, rules)
			if err != nil {
				return nil, err
			}
			m.Value = content
		}
		kept = append(kept, m)
	}
	return kept, nil
}

// emptyObject is the content of a fully redacted event.
var emptyObject = []byte("{}")

// redactContent reduces an event's content to the keys its type keeps.
// Content that is not an object is replaced by {}.
func redactContent(content []byte, eventType string, rules redactionRules) ([]byte, error) {
	if len(content) == 0 || content[0] != '{' {
		return emptyObject, nil
	}
	if eventType == TypeCreate && rules.keepAllCreateContent {
		return content, nil
	}
	keep := rules.content[eventType]
	tpi := eventType == TypeMember && rules.keepSignedThirdPartyInvite
	if keep == nil && !tpi {
		return emptyObject, nil
	}
	members, err := canonical.Members(content)
	if err != nil {
		return nil, fmt.Errorf("%w: content: %w", ErrBadJSON, err)
	}
	kept := members[:0]
	for _, m := range members {
		switch {
		case keep[m.Key]:
			kept = append(kept, m)
		case tpi && m.Key == "third_party_invite":
			// v11: "it allows the signed key of the third_party_invite key".
			signed, ok, err := onlySigned(m.Value)
			if err != nil {
				return nil, err
			}
			if ok {
				kept = append(kept, canonical.Member{Key: m.Key, Value: signed})
			}
		}
	}
	if len(kept) == 0 {
		return emptyObject, nil
	}
	return appendObject(kept), nil
}

// onlySigned reduces a third_party_invite object to {"signed": …}; ok is
// false when there is no signed key to keep.
func onlySigned(tpi []byte) (out []byte, ok bool, err error) {
	if len(tpi) == 0 || tpi[0] != '{' {
		return nil, false, nil
	}
	members, err := canonical.Members(tpi)
	if err != nil {
		return nil, false, fmt.Errorf("%w: third_party_invite: %w", ErrBadJSON, err)
	}
	for _, m := range members {
		if m.Key == "signed" {
			return canonical.AppendObject(nil, []canonical.Member{m}), true, nil
		}
	}
	return nil, false, nil
}
