package room

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// carriedState are the state types an upgrade replicates into the new room
// (module room_upgrades.md, "Server behaviour" step 3, with
// m.room.canonical_alias for step 4; m.room.power_levels is handled on its
// own).
var carriedState = []string{
	event.TypeServerACL, event.TypeEncryption, event.TypeName, "m.room.avatar",
	event.TypeTopic, event.TypeGuestAccess, event.TypeHistoryVisibility,
	event.TypeJoinRules, event.TypeCanonicalAlias,
}

// Upgrade is the plan of a room upgrade: create the new room with Create,
// then propose Tombstone(newRoomID) and, if set, ClearOldAlias and
// RestrictOld in the old room. Moving the local aliases in the directory is the caller's job.
type Upgrade struct {
	// Create makes the replacement room.
	Create CreateParams
	// RestrictOld raises events_default and invite in the old room so it
	// stops being used (step 6), or is nil when the upgrader cannot change
	// the power levels there.
	RestrictOld *Proposal
	// ClearOldAlias empties the old room's m.room.canonical_alias, whose
	// aliases move to the new room (step 4), or is nil when the old room has
	// none or the upgrader cannot change it.
	ClearOldAlias *Proposal

	sender string
}

// Tombstone is the m.room.tombstone proposal for the old room once the
// replacement room exists (step 5).
func (u *Upgrade) Tombstone(newRoomID string) Proposal {
	return stateProposal(u.sender, event.TypeTombstone, "", mustMarshal(map[string]any{
		"body":             "This room has been replaced",
		"replacement_room": newRoomID,
	}))
}

// UpgradePlan plans the upgrade of old to room version newVersion by sender
// (POST /rooms/{roomId}/upgrade; module room_upgrades.md "Server
// behaviour"). The sender must be allowed to send m.room.tombstone in the
// old room (step 1). The new room's create event names old as predecessor
// and copies its type (step 2); its initial state replicates the carried
// state, the bans, and the power levels with the upgrader able to set all of
// it (step 3). additionalCreators are the new room's additional creators
// when newVersion has them; the old room's are not carried over.
func UpgradePlan(old *Room, newVersion version.Spec, sender string, additionalCreators []string) (*Upgrade, error) {
	if old.state[keyCreate] == nil {
		return nil, ErrNotCreated
	}
	if serverOf(sender) != old.signer.ServerName {
		return nil, fmt.Errorf("%w: %q", ErrNotLocal, sender)
	}
	if _, err := version.Lookup(newVersion.ID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidParam, err)
	}
	pl, err := auth.PowerLevels(old.spec, old.state)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	level, creator := old.PowerLevel(sender)
	if old.Membership(sender) != event.MembershipJoin {
		return nil, fmt.Errorf("%w: %s is not joined to %s", ErrForbidden, sender, old.id)
	}
	if need := pl.EventLevel(event.TypeTombstone, true); !creator && level < need {
		return nil, fmt.Errorf("%w: upgrading needs power level %d for m.room.tombstone, %s has %d",
			ErrForbidden, need, sender, level)
	}

	creation := map[string]any{}
	var oldCreate struct {
		Type     *string `json:"type"`
		Federate *bool   `json:"m.federate"`
	}
	if json.Unmarshal(old.state[keyCreate].Content, &oldCreate) == nil {
		if oldCreate.Type != nil {
			creation["type"] = *oldCreate.Type
		}
		if oldCreate.Federate != nil {
			creation["m.federate"] = *oldCreate.Federate
		}
	}
	u := &Upgrade{sender: sender}
	u.Create = CreateParams{
		Creator: sender, Version: newVersion,
		CreationContent:    mustMarshal(creation),
		AdditionalCreators: additionalCreators,
		Predecessor:        &Predecessor{RoomID: old.id, EventID: old.newestEvent()},
	}
	if jr := old.state[event.StateKey{Type: event.TypeJoinRules}]; jr != nil && joinRuleOf(jr) == "public" {
		u.Create.Preset = PresetPublicChat
	}
	creators := append([]string{sender}, additionalCreators...)
	u.Create.InitialState = append(u.Create.InitialState, StateEvent{
		Type: event.TypePowerLevels, Content: upgradedPowerLevels(pl, newVersion, sender, creators),
	})
	for _, typ := range carriedState {
		if ev := old.state[event.StateKey{Type: typ}]; ev != nil {
			if checkStateContent(newVersion, typ, "", ev.Content) != nil {
				continue // not valid in the new version (e.g. a join rule it lacks)
			}
			u.Create.InitialState = append(u.Create.InitialState, StateEvent{Type: typ, Content: ev.Content})
		}
	}
	for _, banned := range old.Banned() {
		ban := old.state[event.StateKey{Type: event.TypeMember, StateKey: banned}]
		u.Create.InitialState = append(u.Create.InitialState, StateEvent{
			Type: event.TypeMember, StateKey: banned, Content: banContent(ban),
		})
	}
	u.RestrictOld = restrictOld(old, pl, sender, level, creator)
	if old.state[event.StateKey{Type: event.TypeCanonicalAlias}] != nil &&
		(creator || level >= pl.EventLevel(event.TypeCanonicalAlias, true)) {
		p := stateProposal(sender, event.TypeCanonicalAlias, "", json.RawMessage("{}"))
		u.ClearOldAlias = &p
	}
	return u, nil
}

// upgradedPowerLevels is the old room's power levels, written with integer
// values (which every version accepts), with the upgrader at the highest
// level the content uses so they can send the carried state. In room
// version 12 the creators have infinite power and must not be in users.
func upgradedPowerLevels(pl auth.PowerLevelContent, v version.Spec, sender string, creators []string) json.RawMessage {
	users := maps.Clone(pl.Users)
	if users == nil {
		users = map[string]int64{}
	}
	if v.PrivilegedCreators {
		for _, c := range creators {
			delete(users, c)
		}
	} else {
		top := max(pl.Ban, pl.Kick, pl.Redact, pl.Invite, pl.EventsDefault, pl.StateDefault, users[sender], levelAdmin)
		for _, l := range pl.Events {
			top = max(top, l)
		}
		users[sender] = top
	}
	events := maps.Clone(pl.Events)
	if events == nil {
		events = map[string]int64{}
	}
	if v.PrivilegedCreators && events[event.TypeTombstone] <= pl.StateDefault {
		events[event.TypeTombstone] = max(pl.StateDefault+1, levelTombstoneV12)
	}
	return mustMarshal(map[string]any{
		"users": users, "users_default": pl.UsersDefault,
		"events": events, "events_default": pl.EventsDefault, "state_default": pl.StateDefault,
		"ban": pl.Ban, "kick": pl.Kick, "redact": pl.Redact, "invite": pl.Invite,
		"notifications": pl.Notifications,
	})
}

// restrictOld is step 6: "setting events_default and invite to the greater
// of 50 and users_default + 1", if the upgrader may change power levels.
func restrictOld(old *Room, pl auth.PowerLevelContent, sender string, level int64, creator bool) *Proposal {
	if !creator && level < pl.EventLevel(event.TypePowerLevels, true) {
		return nil
	}
	ev := old.state[event.StateKey{Type: event.TypePowerLevels}]
	c := map[string]json.RawMessage{}
	if ev != nil {
		m, err := objectMembers(ev.Content)
		if err != nil {
			return nil
		}
		c = m
	}
	limit := max(int64(levelModerator), pl.UsersDefault+1)
	c["events_default"] = mustMarshal(limit)
	c["invite"] = mustMarshal(limit)
	p := stateProposal(sender, event.TypePowerLevels, "", mustMarshal(c))
	return &p
}

// banContent is the content of a carried ban: membership ban and the
// original reason.
func banContent(ban *event.Event) json.RawMessage {
	var c struct {
		Reason string `json:"reason"`
	}
	out := map[string]any{"membership": event.MembershipBan}
	if ban != nil && json.Unmarshal(ban.Content, &c) == nil && c.Reason != "" {
		out["reason"] = c.Reason
	}
	return mustMarshal(out)
}

// newestEvent is the deepest forward extremity: the last known event of
// the room, for predecessor.event_id.
func (r *Room) newestEvent() string {
	if len(r.extremities) == 0 {
		return ""
	}
	best := slices.MaxFunc(r.extremities, func(a, b *event.Event) int {
		switch {
		case a.Depth < b.Depth:
			return -1
		case a.Depth > b.Depth:
			return 1
		}
		return 0
	})
	return best.ID
}

// joinRuleOf returns join_rule of an m.room.join_rules event.
func joinRuleOf(ev *event.Event) string {
	var c struct {
		JoinRule string `json:"join_rule"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return ""
	}
	return c.JoinRule
}
