package push

import (
	"encoding/json"
	"strings"
	"testing"
)

const me = "@alice:example.org"

func ev(s string) json.RawMessage { return json.RawMessage(s) }

func TestDefaultsAreTheSpecRules(t *testing.T) {
	rs := Defaults(me)
	var ids []string
	for _, r := range rs.Override {
		ids = append(ids, r.RuleID)
	}
	want := ".m.rule.master .m.rule.suppress_notices .m.rule.invite_for_me .m.rule.member_event .m.rule.is_user_mention .m.rule.is_room_mention .m.rule.tombstone .m.rule.reaction .m.rule.room.server_acl .m.rule.suppress_edits"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("override rules %s", got)
	}
	ids = nil
	for _, r := range rs.Underride {
		ids = append(ids, r.RuleID)
	}
	if got := strings.Join(ids, " "); got != ".m.rule.call .m.rule.encrypted_room_one_to_one .m.rule.room_one_to_one .m.rule.message .m.rule.encrypted" {
		t.Fatalf("underride rules %s", got)
	}
	if rs.Override[0].Enabled {
		t.Fatal(".m.rule.master is enabled by default")
	}
	for _, r := range append(rs.Override, rs.Underride...) {
		if !r.Default || !strings.HasPrefix(r.RuleID, ".") {
			t.Errorf("%s is not marked a server default", r.RuleID)
		}
	}
	raw, _ := json.Marshal(rs)
	if strings.Contains(string(raw), "[the user") || !strings.Contains(string(raw), `"pattern":"`+me+`"`) || !strings.Contains(string(raw), `"value":"`+me+`"`) {
		t.Fatalf("user ID not substituted: %s", raw)
	}
}

func TestEvaluateDefaults(t *testing.T) {
	group := Context{UserID: me, DisplayName: "Alice", MemberCount: 5, SenderPowerLevel: 0}
	oneToOne := group
	oneToOne.MemberCount = 2
	admin := group
	admin.SenderPowerLevel = 100
	tests := []struct {
		name              string
		event             string
		ctx               Context
		notify, highlight bool
	}{
		{"group message", `{"type":"m.room.message","sender":"@bob:x","content":{"msgtype":"m.text","body":"hi"}}`, group, true, false},
		{"one-to-one message", `{"type":"m.room.message","sender":"@bob:x","content":{"msgtype":"m.text","body":"hi"}}`, oneToOne, true, false},
		{"notice", `{"type":"m.room.message","sender":"@bot:x","content":{"msgtype":"m.notice","body":"beep"}}`, group, false, false},
		{"own message", `{"type":"m.room.message","sender":"` + me + `","content":{"msgtype":"m.text","body":"hi"}}`, group, false, false},
		{"user mention", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"hey","m.mentions":{"user_ids":["` + me + `"]}}}`, group, true, true},
		{"someone else mentioned", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"hey","m.mentions":{"user_ids":["@carol:x"]}}}`, group, true, false},
		{"@room by a moderator", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"all","m.mentions":{"room":true}}}`, admin, true, true},
		{"@room without the power", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"all","m.mentions":{"room":true}}}`, group, true, false},
		{"@room as a string is not true", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"all","m.mentions":{"room":"true"}}}`, admin, true, false},
		{"encrypted group", `{"type":"m.room.encrypted","sender":"@bob:x","content":{"algorithm":"m.megolm.v1.aes-sha2"}}`, group, true, false},
		{"encrypted one-to-one", `{"type":"m.room.encrypted","sender":"@bob:x","content":{}}`, oneToOne, true, false},
		{"invite for me", `{"type":"m.room.member","sender":"@bob:x","state_key":"` + me + `","content":{"membership":"invite"}}`, group, true, false},
		{"invite for another", `{"type":"m.room.member","sender":"@bob:x","state_key":"@carol:x","content":{"membership":"invite"}}`, group, false, false},
		{"join", `{"type":"m.room.member","sender":"@bob:x","state_key":"@bob:x","content":{"membership":"join"}}`, group, false, false},
		{"reaction", `{"type":"m.reaction","sender":"@bob:x","content":{}}`, group, false, false},
		{"edit", `{"type":"m.room.message","sender":"@bob:x","content":{"body":"* hi","m.relates_to":{"rel_type":"m.replace","event_id":"$e"}}}`, group, false, false},
		{"tombstone", `{"type":"m.room.tombstone","sender":"@bob:x","state_key":"","content":{"replacement_room":"!n:x"}}`, group, true, true},
		{"server acl", `{"type":"m.room.server_acl","sender":"@bob:x","state_key":"","content":{}}`, group, false, false},
		{"call invite", `{"type":"m.call.invite","sender":"@bob:x","content":{}}`, group, true, false},
		{"other event type", `{"type":"org.example.x","sender":"@bob:x","content":{}}`, group, false, false},
		{"not JSON", `{`, group, false, false},
	}
	rs := Defaults(me)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, h := Evaluate(rs, ev(tc.event), tc.ctx)
			if n != tc.notify || h != tc.highlight {
				t.Fatalf("Evaluate = notify %v highlight %v, want %v %v", n, h, tc.notify, tc.highlight)
			}
		})
	}
}

func TestMasterRuleSilencesEverything(t *testing.T) {
	rs := Defaults(me)
	rs.Override[0].Enabled = true
	if n, h := Evaluate(rs, ev(`{"type":"m.room.message","sender":"@bob:x","content":{"m.mentions":{"user_ids":["`+me+`"]}}}`), Context{UserID: me}); n || h {
		t.Fatal("master rule did not silence a mention")
	}
}

// Legacy body matching: the conditions and rule kinds the spec still
// defines for user-defined rules.
func TestLegacyBodyMatching(t *testing.T) {
	pattern := func(s string) *string { return &s }
	rs := Ruleset{
		Override: []Rule{{RuleID: "name", Enabled: true, Conditions: []Condition{{Kind: "contains_display_name"}},
			Actions: []any{"notify", map[string]any{"set_tweak": "highlight"}}}},
		Content: []Rule{{RuleID: "word", Enabled: true, Pattern: "lunch",
			Actions: []any{"notify", map[string]any{"set_tweak": "highlight", "value": false}}}},
		Underride: []Rule{{RuleID: "room-wide", Enabled: true, Conditions: []Condition{{Kind: "event_match", Key: "content.body", Pattern: pattern("@room")}},
			Actions: []any{"notify"}}},
	}
	c := Context{UserID: me, DisplayName: "Alice"}
	tests := []struct {
		body              string
		notify, highlight bool
	}{
		{"hey Alice!", true, true},
		{"ALICE: look", true, true},
		{"malice aforethought", false, false},
		{"Lunch at noon?", true, false},
		{"lunchtime", false, false},
		{"heads up @room", true, false},
		{"nothing", false, false},
	}
	for _, tc := range tests {
		n, h := Evaluate(rs, ev(`{"type":"m.room.message","sender":"@bob:x","content":{"body":`+quote(tc.body)+`}}`), c)
		if n != tc.notify || h != tc.highlight {
			t.Errorf("body %q: notify %v highlight %v, want %v %v", tc.body, n, h, tc.notify, tc.highlight)
		}
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// The spec's own examples of event_match (modules/push.md, "Conditions").
func TestEventMatchSpecExamples(t *testing.T) {
	topic := func(v string) map[string]any { return map[string]any{"content": map[string]any{"topic": v}} }
	lunc := "lunc?*"
	cond := Condition{Kind: "event_match", Key: "content.topic", Pattern: &lunc}
	for v, want := range map[string]bool{"Lunch plans": true, "LUNCH": true, " lunch": false, "lunc": false} {
		if got := conditionHolds(cond, topic(v), Context{}); got != want {
			t.Errorf("lunc?* on topic %q = %v, want %v", v, got, want)
		}
	}
	if conditionHolds(cond, map[string]any{"content": map[string]any{"topic": nil}}, Context{}) {
		t.Error("lunc?* matched a null topic")
	}
	for body, want := range map[string]bool{"An example event.": true, "exple": true, "An exciting triple-whammy": true, "examples": false} {
		if got := globWords("ex*ple", body); got != want {
			t.Errorf("ex*ple on body %q = %v, want %v", body, got, want)
		}
	}
}

func TestPropertyConditions(t *testing.T) {
	event := map[string]any{}
	_ = json.Unmarshal([]byte(`{"content":{"m.federate":true,"alt_aliases":["#somewhere:example.org","#myroom:example.com"],"n":3}}`), &event)
	tests := []struct {
		cond Condition
		want bool
	}{
		{Condition{Kind: "event_property_is", Key: `content.m\.federate`, Value: ev(`true`)}, true},
		{Condition{Kind: "event_property_is", Key: `content.m\.federate`, Value: ev(`"true"`)}, false},
		{Condition{Kind: "event_property_is", Key: `content.m\.federate`, Value: ev(`1`)}, false},
		{Condition{Kind: "event_property_is", Key: `content.m.federate`, Value: ev(`true`)}, false},
		{Condition{Kind: "event_property_contains", Key: "content.alt_aliases", Value: ev(`"#myroom:example.com"`)}, true},
		{Condition{Kind: "event_property_contains", Key: "content.alt_aliases", Value: ev(`":example.com"`)}, false},
		{Condition{Kind: "room_member_count", Is: "2"}, false},
		{Condition{Kind: "room_member_count", Is: ">=3"}, true},
		{Condition{Kind: "room_member_count", Is: "<3"}, false},
		{Condition{Kind: "room_member_count", Is: "x"}, false},
		{Condition{Kind: "org.example.unknown"}, false},
	}
	for i, tc := range tests {
		if got := conditionHolds(tc.cond, event, Context{MemberCount: 3}); got != tc.want {
			t.Errorf("%d: %+v = %v, want %v", i, tc.cond, got, tc.want)
		}
	}
}

func BenchmarkEvaluateGroupMessage(b *testing.B) {
	rs := Defaults(me)
	e := ev(`{"type":"m.room.message","sender":"@bob:x","room_id":"!r:x","content":{"msgtype":"m.text","body":"hello there, how are you?"}}`)
	c := Context{UserID: me, DisplayName: "Alice", MemberCount: 10}
	for b.Loop() {
		Evaluate(rs, e, c)
	}
}
