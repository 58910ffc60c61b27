package room

import (
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/event"
)

// Levels of the default m.room.power_levels of a new room. The spec leaves
// them to the server beyond "the room creator (and not other members) will
// be given permission to send state events"; these are the values clients
// expect from Synapse and Dendrite.
const (
	levelAdmin     = 100
	levelModerator = 50
	// levelTombstoneV12 is above the admin level: "If the room's version is
	// 12 or higher, the power level for sending m.room.tombstone events MUST
	// explicitly be higher than state_default. For example, set to 150".
	levelTombstoneV12 = 150
)

// defaultPowerLevels is the default m.room.power_levels content of a new
// room (create_room.yaml step 3). In room versions 1 to 11 the creator,
// and with trusted_private_chat the invitees ("All invitees are given the
// same power level as the room creator"), get level 100. In room version
// 12 creators have infinite power "and cannot be specified in the users
// field", so users stays empty; trusted invitees become additional creators
// instead.
func defaultPowerLevels(p CreateParams, preset string) map[string]json.RawMessage {
	users := map[string]int64{}
	if !p.Version.PrivilegedCreators {
		users[p.Creator] = levelAdmin
		if preset == PresetTrustedPrivateChat {
			for _, u := range p.Invite {
				users[u] = levelAdmin
			}
		}
	}
	tombstone := int64(levelAdmin)
	if p.Version.PrivilegedCreators {
		tombstone = levelTombstoneV12
	}
	invite := int64(0)
	if preset == PresetPublicChat {
		invite = levelModerator
	}
	return map[string]json.RawMessage{
		"users":          mustMarshal(users),
		"users_default":  mustMarshal(0),
		"events_default": mustMarshal(0),
		"state_default":  mustMarshal(levelModerator),
		"ban":            mustMarshal(levelModerator),
		"kick":           mustMarshal(levelModerator),
		"redact":         mustMarshal(levelModerator),
		"invite":         mustMarshal(invite),
		"notifications":  mustMarshal(map[string]int64{"room": levelModerator}),
		"events": mustMarshal(map[string]int64{
			event.TypeName:              levelModerator,
			event.TypePowerLevels:       levelAdmin,
			event.TypeHistoryVisibility: levelAdmin,
			event.TypeCanonicalAlias:    levelModerator,
			"m.room.avatar":             levelModerator,
			event.TypeTombstone:         tombstone,
			event.TypeServerACL:         levelAdmin,
			event.TypeEncryption:        levelAdmin,
		}),
	}
}

// powerLevelContent is the new room's m.room.power_levels content: an
// m.room.power_levels entry of initial_state if there is one, else the
// defaults, with power_level_content_override's top-level keys replacing
// the base's ("applied on top of the generated m.room.power_levels event
// content").
func powerLevelContent(p CreateParams, preset string, initial []StateEvent) (json.RawMessage, error) {
	base := defaultPowerLevels(p, preset)
	for _, e := range initial {
		if e.Type == event.TypePowerLevels && e.StateKey == "" {
			m, err := objectMembers(e.Content)
			if err != nil {
				return nil, fmt.Errorf("initial_state m.room.power_levels: %w", err)
			}
			base = m
		}
	}
	override, err := objectMembers(p.PowerLevelOverride)
	if err != nil {
		return nil, fmt.Errorf("power_level_content_override: %w", err)
	}
	for k, v := range override {
		base[k] = v
	}
	out, err := json.Marshal(base)
	if err != nil {
		return nil, fmt.Errorf("%w: power levels: %v", ErrBadJSON, err)
	}
	return out, nil
}
