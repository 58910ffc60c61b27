package push

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// Context is what the evaluator knows besides the event.
type Context struct {
	UserID      string
	DisplayName string
	MemberCount int
	// SenderPowerLevel is the sender's power level in the room.
	SenderPowerLevel int
	// NotificationPowerLevels is the power levels' "notifications" object
	// (spec: m.room.power_levels; "room" defaults to 50 when absent).
	NotificationPowerLevels map[string]int
}

// Evaluate runs the rules against the event JSON (as clients see it) and
// says whether it notifies and whether it highlights. The first enabled
// rule that matches decides, except that .m.rule.master, when enabled,
// matches first (spec: "Predefined Rules").
func Evaluate(rs Ruleset, event json.RawMessage, c Context) (notify, highlight bool) {
	return EvaluateDecoded(rs, Decode(event), c)
}

// Decoded is an event decoded for evaluation. Evaluation only reads it, so
// one Decoded may be evaluated against many users' rules, concurrently:
// the same new event is counted for every member of its room.
type Decoded struct {
	ev map[string]any
	ok bool // false: the event did not decode
}

// Decode decodes an event's JSON for EvaluateDecoded.
func Decode(event json.RawMessage) Decoded {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	if dec.Decode(&ev) != nil {
		return Decoded{}
	}
	return Decoded{ev: ev, ok: true}
}

// EvaluateDecoded is Evaluate on an event decoded by Decode.
func EvaluateDecoded(rs Ruleset, d Decoded, c Context) (notify, highlight bool) {
	ev := d.ev
	if !d.ok {
		return false, false
	}
	if sender, _ := ev["sender"].(string); sender == c.UserID && c.UserID != "" {
		return false, false // one's own events never notify
	}
	for _, kind := range Kinds {
		rules, _ := rs.Of(kind)
		for _, r := range rules {
			if !r.Enabled || !ruleMatches(kind, r, ev, c) {
				continue
			}
			return actions(r.Actions)
		}
	}
	return false, false
}

func ruleMatches(kind string, r Rule, ev map[string]any, c Context) bool {
	switch kind {
	case "content":
		body, ok := lookup(ev, "content.body")
		s, isStr := body.(string)
		return ok && isStr && globWords(r.Pattern, s)
	case "room":
		id, _ := ev["room_id"].(string)
		return id == r.RuleID
	case "sender":
		id, _ := ev["sender"].(string)
		return id == r.RuleID
	}
	for _, cond := range r.Conditions {
		if !conditionHolds(cond, ev, c) {
			return false
		}
	}
	return true
}

func actions(list []any) (notify, highlight bool) {
	for _, a := range list {
		switch v := a.(type) {
		case string:
			if v == "notify" {
				notify = true
			}
		case map[string]any:
			if v["set_tweak"] == "highlight" {
				val, present := v["value"]
				highlight = !present || val == true
			}
		}
	}
	return notify, highlight
}

func conditionHolds(cond Condition, ev map[string]any, c Context) bool {
	switch cond.Kind {
	case "event_match":
		if cond.Pattern == nil {
			return false
		}
		v, ok := lookup(ev, cond.Key)
		s, isStr := v.(string)
		if !ok || !isStr {
			return false
		}
		if cond.Key == "content.body" {
			return globWords(*cond.Pattern, s)
		}
		return globFold(*cond.Pattern, s)
	case "event_property_is":
		v, ok := lookup(ev, cond.Key)
		return ok && scalarEqual(v, cond.Value)
	case "event_property_contains":
		v, ok := lookup(ev, cond.Key)
		arr, isArr := v.([]any)
		if !ok || !isArr {
			return false
		}
		for _, x := range arr {
			if scalarEqual(x, cond.Value) {
				return true
			}
		}
		return false
	case "contains_display_name":
		body, _ := lookup(ev, "content.body")
		s, _ := body.(string)
		return c.DisplayName != "" && s != "" && containsWord(s, c.DisplayName)
	case "room_member_count":
		return memberCountHolds(cond.Is, c.MemberCount)
	case "sender_notification_permission":
		need, ok := c.NotificationPowerLevels[cond.Key]
		if !ok {
			need = 50
		}
		return c.SenderPowerLevel >= need
	}
	// Spec: "Unrecognised conditions MUST NOT match any events".
	return false
}

// lookup follows a dot-separated property path (spec: appendices "Dot-
// separated property paths": "\." is a literal dot, "\\" a backslash).
func lookup(ev map[string]any, path string) (any, bool) {
	var cur any = ev
	for _, part := range splitPath(path) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && (path[i+1] == '.' || path[i+1] == '\\'):
			cur.WriteByte(path[i+1])
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

// scalarEqual compares an event value with a condition's value: strings,
// integers, booleans and null only, without type casts.
func scalarEqual(v any, want json.RawMessage) bool {
	var w any
	dec := json.NewDecoder(bytes.NewReader(want))
	dec.UseNumber()
	if len(want) == 0 || dec.Decode(&w) != nil {
		return false
	}
	switch x := v.(type) {
	case string, bool, nil:
		return x == w
	case json.Number:
		wn, ok := w.(json.Number)
		if !ok {
			return false
		}
		a, err1 := strconv.ParseInt(string(x), 10, 64)
		b, err2 := strconv.ParseInt(string(wn), 10, 64)
		return err1 == nil && err2 == nil && a == b
	}
	return false
}

func memberCountHolds(is string, n int) bool {
	op := strings.TrimRight(is, "0123456789")
	num, err := strconv.Atoi(is[len(op):])
	if err != nil {
		return false
	}
	switch op {
	case "", "==":
		return n == num
	case "<":
		return n < num
	case ">":
		return n > num
	case "<=":
		return n <= num
	case ">=":
		return n >= num
	}
	return false
}

// globFold matches the whole of s against pattern, case-insensitively;
// "*" matches any run of characters, "?" exactly one (spec: appendices
// "Glob-style matching").
func globFold(pattern, s string) bool {
	return globRunes([]rune(strings.ToLower(pattern)), []rune(strings.ToLower(s)))
}

func globRunes(p, s []rune) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// globWords is the content.body rule: the pattern must match a substring
// that starts and ends at word boundaries, where a boundary is the start or
// end of the value or a character outside [A-Za-z0-9_] (RE2's ASCII \W).
// RE2 keeps this linear in the body's length.
func globWords(pattern, body string) bool {
	var re strings.Builder
	re.WriteString(`(?is)(?:^|\W)(?:`)
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString(`)(?:\W|$)`)
	m, err := regexp.Compile(re.String())
	return err == nil && m.MatchString(body)
}

func containsWord(body, word string) bool {
	var sb strings.Builder
	for _, r := range word {
		if r == '*' || r == '?' {
			return strings.Contains(strings.ToLower(body), strings.ToLower(word))
		}
		sb.WriteRune(r)
	}
	return globWords(sb.String(), body)
}
