package push

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// defaultsJSON is the spec's "Predefined Rules", copied verbatim from
// content/client-server-api/modules/push.md (v1.19; since v1.17 the
// legacy body-matching defaults are gone and mentions go through
// m.mentions).
//
//go:embed defaults.json
var defaultsJSON string

// userIDPlaceholder is how the spec writes the owner's ID in its rules.
const userIDPlaceholder = "[the user's Matrix ID]"

// Rule is one push rule (spec: PushRule).
type Rule struct {
	RuleID     string      `json:"rule_id"`
	Default    bool        `json:"default"`
	Enabled    bool        `json:"enabled"`
	Pattern    string      `json:"pattern,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Actions    []any       `json:"actions"`
}

// Condition is one push condition (spec: PushCondition).
type Condition struct {
	Kind    string          `json:"kind"`
	Key     string          `json:"key,omitempty"`
	Pattern *string         `json:"pattern,omitempty"`
	Is      string          `json:"is,omitempty"`
	Value   json.RawMessage `json:"value,omitempty"`
}

// Ruleset is the rules of one scope ("global"), by kind.
type Ruleset struct {
	Override  []Rule `json:"override"`
	Content   []Rule `json:"content"`
	Room      []Rule `json:"room"`
	Sender    []Rule `json:"sender"`
	Underride []Rule `json:"underride"`
}

// Defaults returns the server-default rules for userID, with the user's
// ID put where the spec's rules name it.
func Defaults(userID string) Ruleset {
	quoted, _ := json.Marshal(userID)
	text := strings.ReplaceAll(defaultsJSON, `"`+userIDPlaceholder+`"`, string(quoted))
	var rs Ruleset
	if err := json.Unmarshal([]byte(text), &rs); err != nil {
		panic(fmt.Sprintf("push: embedded defaults: %v", err))
	}
	return rs
}

// Kinds lists the rule kinds in evaluation order (spec: "Push Rules":
// override, content, room, sender, underride).
var Kinds = []string{"override", "content", "room", "sender", "underride"}

// Of returns the rules of one kind, or nil and false for an unknown kind.
func (rs Ruleset) Of(kind string) ([]Rule, bool) {
	switch kind {
	case "override":
		return rs.Override, true
	case "content":
		return rs.Content, true
	case "room":
		return rs.Room, true
	case "sender":
		return rs.Sender, true
	case "underride":
		return rs.Underride, true
	}
	return nil, false
}
