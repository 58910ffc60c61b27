package auth

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Users of the test rooms. alice creates every room.
const (
	alice = "@alice:example.org"
	bob   = "@bob:example.org"
	carol = "@carol:example.org"
	dave  = "@dave:other.example"
)

// sk returns a state key pointer.
func sk(s string) *string { return &s }

// mustVersion looks a room version up or fails the test.
func mustVersion(t testing.TB, id version.ID) version.Spec {
	t.Helper()
	v, err := version.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mkEvent builds an event of room version v as a struct literal; content is
// JSON text.
func mkEvent(t testing.TB, v version.Spec, typ string, stateKey *string, sender, content string) *event.Event {
	t.Helper()
	if !json.Valid([]byte(content)) {
		t.Fatalf("mkEvent: invalid content %s", content)
	}
	return &event.Event{Type: typ, StateKey: stateKey, Sender: sender, Content: json.RawMessage(content), Version: v, Depth: 1}
}

// room is a small room under construction: its create event and its state.
type room struct {
	t      testing.TB
	v      version.Spec
	id     string
	create *event.Event
	state  StateMap
	seq    int
	last   string
}

// newRoom creates a room of version v, created by alice, who is joined and
// (through power levels, or creatorship in v12) all-powerful. No join rules
// are set.
func newRoom(t testing.TB, id version.ID) *room {
	t.Helper()
	v := mustVersion(t, id)
	r := &room{t: t, v: v, state: StateMap{}}
	content := fmt.Sprintf(`{"room_version":%q}`, id)
	if v.CreatorInContent {
		content = fmt.Sprintf(`{"creator":%q,"room_version":%q}`, alice, id)
	}
	c := mkEvent(t, v, event.TypeCreate, sk(""), alice, content)
	c.ID = r.nextID()
	if v.RoomIDFromCreateEvent {
		r.id = "!" + c.ID[1:]
	} else {
		r.id = "!room:example.org"
		c.RoomID = r.id
	}
	r.create = c
	r.put(c)
	r.last = c.ID
	r.apply(r.member(alice, alice, "join", ""))
	if v.PrivilegedCreators {
		r.apply(r.ev(event.TypePowerLevels, sk(""), alice, `{"users":{}}`))
	} else {
		r.apply(r.ev(event.TypePowerLevels, sk(""), alice, fmt.Sprintf(`{"users":{%q:100}}`, alice)))
	}
	return r
}

func (r *room) nextID() string {
	r.seq++
	if r.v.EventIDs == version.EventIDServerOpaque {
		return fmt.Sprintf("$e%d:example.org", r.seq)
	}
	return fmt.Sprintf("$hash%d", r.seq)
}

// ev builds an event in the room, after the last one.
func (r *room) ev(typ string, stateKey *string, sender, content string) *event.Event {
	e := mkEvent(r.t, r.v, typ, stateKey, sender, content)
	e.ID = r.nextID()
	e.RoomID = r.id
	e.PrevEvents = []string{r.last}
	return e
}

// member builds an m.room.member event; extra is more content members
// (",..." is not needed: pass `"reason":"x"`).
func (r *room) member(sender, target, membership, extra string) *event.Event {
	content := fmt.Sprintf(`{"membership":%q}`, membership)
	if extra != "" {
		content = fmt.Sprintf(`{"membership":%q,%s}`, membership, extra)
	}
	return r.ev(event.TypeMember, sk(target), sender, content)
}

// put places ev into the state without checking it.
func (r *room) put(ev *event.Event) { r.state[ev.Key()] = ev }

// apply checks ev against the state, fails the test if refused, and
// applies it.
func (r *room) apply(ev *event.Event) {
	r.t.Helper()
	if err := Allowed(ev, r.state); err != nil {
		r.t.Fatalf("setup event %s %v refused: %v", ev.Type, ev.StateKey, err)
	}
	r.put(ev)
	r.last = ev.ID
}

// setMembership forces a user's membership into the state.
func (r *room) setMembership(user, membership string) {
	r.put(r.member(user, user, membership, ""))
}

// setJoinRule forces the join rule.
func (r *room) setJoinRule(rule string) {
	r.put(r.ev(event.TypeJoinRules, sk(""), alice, fmt.Sprintf(`{"join_rule":%q}`, rule)))
}

// setPowerLevels forces power-levels content. In v12, alice must not be in
// users; callers write users for others only.
func (r *room) setPowerLevels(content string) {
	r.put(r.ev(event.TypePowerLevels, sk(""), alice, content))
}

// users builds a users object giving alice 100 (not in v12, where she is a
// creator) plus the given pairs.
func (r *room) users(pairs ...any) string {
	var b strings.Builder
	b.WriteString("{")
	first := true
	add := func(u string, l any) {
		if !first {
			b.WriteString(",")
		}
		first = false
		lj, _ := json.Marshal(l)
		fmt.Fprintf(&b, "%q:%s", u, lj)
	}
	if !r.v.PrivilegedCreators {
		add(alice, 100)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		add(pairs[i].(string), pairs[i+1])
	}
	b.WriteString("}")
	return b.String()
}

// family names the auth-rule list a version uses, for the expected rule
// numbers below.
func family(v version.Spec) string {
	switch v.ID {
	case "1", "2":
		return "v1"
	case "3", "4", "5":
		return "v3"
	case "6":
		return "v6"
	case "7":
		return "v7"
	case "8", "9":
		return "v8"
	case "10", "11":
		return "v10"
	default:
		return "v12"
	}
}

// specNumbers are the rule numbers as each family's spec page lists them,
// written out by hand from content/rooms/*.md (not computed the way the
// package computes them).
var specNumbers = map[string]map[string]string{
	"v1": {"authEvents": "2", "federate": "3", "aliases": "4", "member": "5", "joined": "6", "tpi": "7", "required": "8", "stateKey": "9", "power": "10", "redaction": "11",
		"join": "2", "invite": "3", "leave": "4", "ban": "5", "unknown": "6", "joinPublic": "5", "joinOtherwise": "6",
		"plUsers": "1", "plNamed": "3", "plEventsOld": "4", "plEventsNew": "5", "plUsersOld": "6", "plUsersNew": "7"},
	"v3": {"authEvents": "2", "federate": "3", "aliases": "4", "member": "5", "joined": "6", "tpi": "7", "required": "8", "stateKey": "9", "power": "10",
		"join": "2", "invite": "3", "leave": "4", "ban": "5", "unknown": "6", "joinPublic": "5", "joinOtherwise": "6",
		"plUsers": "1", "plNamed": "3", "plEventsOld": "4", "plEventsNew": "5", "plUsersOld": "6", "plUsersNew": "7"},
	"v6": {"authEvents": "2", "federate": "3", "member": "4", "joined": "5", "tpi": "6", "required": "7", "stateKey": "8", "power": "9",
		"join": "2", "invite": "3", "leave": "4", "ban": "5", "unknown": "6", "joinPublic": "5", "joinOtherwise": "6",
		"plUsers": "1", "plNamed": "3", "plEventsOld": "4", "plEventsNew": "5", "plUsersOld": "6", "plUsersNew": "7"},
	"v7": {"authEvents": "2", "federate": "3", "member": "4", "joined": "5", "tpi": "6", "required": "7", "stateKey": "8", "power": "9",
		"join": "2", "invite": "3", "leave": "4", "ban": "5", "knock": "6", "unknown": "7", "joinPublic": "5", "joinOtherwise": "6",
		"plUsers": "1", "plNamed": "3", "plEventsOld": "4", "plEventsNew": "5", "plUsersOld": "6", "plUsersNew": "7"},
	"v8": {"authEvents": "2", "federate": "3", "member": "4", "joined": "5", "tpi": "6", "required": "7", "stateKey": "8", "power": "9",
		"jauvs": "2", "join": "3", "invite": "4", "leave": "5", "ban": "6", "knock": "7", "unknown": "8", "joinRestricted": "5", "joinPublic": "6", "joinOtherwise": "7",
		"plUsers": "1", "plNamed": "3", "plEventsOld": "4", "plEventsNew": "5", "plUsersOld": "6", "plUsersNew": "7"},
	"v10": {"authEvents": "2", "federate": "3", "member": "4", "joined": "5", "tpi": "6", "required": "7", "stateKey": "8", "power": "9",
		"jauvs": "2", "join": "3", "invite": "4", "leave": "5", "ban": "6", "knock": "7", "unknown": "8", "joinRestricted": "5", "joinPublic": "6", "joinOtherwise": "7",
		"plNamedInts": "1", "plMapInts": "2", "plUsers": "3", "plNamed": "5", "plEventsOld": "6", "plEventsNew": "7", "plUsersOld": "8", "plUsersNew": "9"},
	"v12": {"roomID": "2", "authEvents": "3", "federate": "4", "member": "5", "joined": "6", "tpi": "7", "required": "8", "stateKey": "9", "power": "10",
		"jauvs": "2", "join": "3", "invite": "4", "leave": "5", "ban": "6", "knock": "7", "unknown": "8", "joinRestricted": "5", "joinPublic": "6", "joinOtherwise": "7",
		"plNamedInts": "1", "plMapInts": "2", "plUsers": "3", "plCreators": "4", "plNamed": "6", "plEventsOld": "7", "plEventsNew": "8", "plUsersOld": "9", "plUsersNew": "10"},
}

// expandRule turns a template such as "{member}.{join}.3 member/join" into
// the rule string expected for v, e.g. "v10 §4.3.3 member/join".
func expandRule(t testing.TB, v version.Spec, tmpl string) string {
	t.Helper()
	nums := specNumbers[family(v)]
	out := tmpl
	for {
		i := strings.IndexByte(out, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(out[i:], '}')
		name := out[i+1 : i+j]
		val, ok := nums[name]
		if !ok {
			t.Fatalf("rule template %q: %s has no %s", tmpl, family(v), name)
		}
		out = out[:i] + val + out[i+j+1:]
	}
	return fmt.Sprintf("v%s §%s", v.ID, out)
}

// wantResult compares an auth result with an expected rule ("" = allowed).
func wantResult(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("refused, want allowed: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("allowed, want refusal by %s", want)
	}
	ae, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v is %T, want *auth.Error", err, err)
	}
	if ae.Rule != want {
		t.Fatalf("refused by %q (%s), want %q", ae.Rule, ae.Reason, want)
	}
}
