package auth

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
)

// membershipOf returns content.membership of a member event; ok is false
// when it is absent or not a string.
func membershipOf(content json.RawMessage) (m string, ok bool) {
	var c struct {
		Membership *string `json:"membership"`
	}
	if json.Unmarshal(content, &c) != nil || c.Membership == nil {
		return "", false
	}
	return *c.Membership, true
}

// currentMembership is userID's membership in state, "" when there is no
// member event or it cannot be read.
func currentMembership(state State, userID string) string {
	ev := state.Get(keyMember(userID))
	if ev == nil {
		return ""
	}
	m, _ := membershipOf(ev.Content)
	return m
}

// joinRuleOf returns the room's join rule. A room without m.room.join_rules,
// or whose content has no join_rule, is treated as "invite", the schema's
// most closed rule, as Synapse does; a join_rule that is not a string
// matches no rule ("").
func joinRuleOf(state State) string {
	ev := state.Get(keyJoinRules)
	if ev == nil {
		return "invite"
	}
	var c struct {
		JoinRule json.RawMessage `json:"join_rule"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return ""
	}
	if c.JoinRule == nil {
		return "invite"
	}
	var rule string
	if json.Unmarshal(c.JoinRule, &rule) != nil {
		return ""
	}
	return rule
}

// createFederates reports whether content."m.federate" of the create event
// is not false.
func createFederates(create *event.Event) bool {
	var c struct {
		Federate *bool `json:"m.federate"`
	}
	if json.Unmarshal(create.Content, &c) != nil || c.Federate == nil {
		return true
	}
	return *c.Federate
}
