package stateres

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
)

// isPowerEvent reports whether ev is a power event (v2-state-res.md,
// "Power events"): m.room.power_levels, m.room.join_rules, or an
// m.room.member leave or ban whose sender is not its state_key.
func isPowerEvent(ev *event.Event) bool {
	if !ev.IsState() {
		return false
	}
	switch ev.Type {
	case event.TypePowerLevels, event.TypeJoinRules:
		return true
	case event.TypeMember:
		if ev.Sender == *ev.StateKey {
			return false
		}
		m := membershipOf(ev)
		return m == event.MembershipLeave || m == event.MembershipBan
	}
	return false
}

// membershipOf returns content.membership of a member event, or "" when it
// is missing or not a string.
func membershipOf(ev *event.Event) string {
	var c struct {
		Membership json.RawMessage `json:"membership"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return ""
	}
	var m string
	if json.Unmarshal(c.Membership, &m) != nil {
		return ""
	}
	return m
}
