package push

import (
	"encoding/json"
	"testing"
)

// FuzzEvaluate feeds arbitrary event JSON and paths through the evaluator:
// it must never panic, and one's own events never notify.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"type":"m.room.message","sender":"@b:x","content":{"body":"hi","m.mentions":{"user_ids":["@alice:example.org"]}}}`), `content.m\.mentions.user_ids`, "hi*")
	f.Add([]byte(`{"type":"m.room.member","state_key":"@alice:example.org","content":{"membership":"invite"}}`), `state_key`, "@alice:*")
	f.Fuzz(func(t *testing.T, event []byte, key, pattern string) {
		rs := Defaults(me)
		rs.Override = append(rs.Override,
			Rule{RuleID: "f1", Enabled: true, Conditions: []Condition{{Kind: "event_match", Key: key, Pattern: &pattern}}, Actions: []any{"notify"}},
			Rule{RuleID: "f2", Enabled: true, Conditions: []Condition{{Kind: "event_property_contains", Key: key, Value: json.RawMessage(`"x"`)}}, Actions: []any{"notify"}})
		rs.Content = append(rs.Content, Rule{RuleID: "f3", Enabled: true, Pattern: pattern, Actions: []any{"notify"}})
		c := Context{UserID: me, DisplayName: pattern, MemberCount: 2}
		Evaluate(rs, event, c)
		var ev map[string]any
		if json.Unmarshal(event, &ev) == nil && ev != nil {
			ev["sender"] = me
			own, _ := json.Marshal(ev)
			if n, h := Evaluate(rs, own, c); n || h {
				t.Fatalf("own event notifies: %s", own)
			}
		}
	})
}
