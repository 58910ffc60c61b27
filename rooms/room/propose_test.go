package room

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func TestProposeMessage(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			before := k.room.Extremities()
			fx := k.propose(Proposal{Type: "m.room.message", Sender: bob, Content: []byte(
				`{"msgtype":"m.text","body":"* fixed","m.new_content":{"body":"fixed"},"m.relates_to":{"rel_type":"m.replace","event_id":"$orig"}}`)})
			if fx.Outcome != Accepted || fx.Event.Sender != bob || fx.Event.OriginServerTS != k.now {
				t.Errorf("event %+v", fx.Event)
			}
			if !slices.Equal(fx.Event.PrevEvents, before) {
				t.Errorf("prev_events %v, want the extremities %v", fx.Event.PrevEvents, before)
			}
			if fx.Relation == nil || *fx.Relation != (Relation{RelType: "m.replace", EventID: "$orig"}) {
				t.Errorf("relation %+v", fx.Relation)
			}
			if fx.Redacts != "" || fx.StateDelta != nil || fx.Memberships != nil {
				t.Errorf("message effects %+v", fx)
			}
			if got := k.room.Extremities(); !slices.Equal(got, []string{fx.Event.ID}) {
				t.Errorf("room extremities %v", got)
			}
			if k.room.MaxDepth() != fx.Event.Depth {
				t.Errorf("max depth %d, event depth %d", k.room.MaxDepth(), fx.Event.Depth)
			}
			// A reply without rel_type is not a relation.
			reply := k.propose(Proposal{Type: "m.room.message", Sender: bob, Content: []byte(
				`{"msgtype":"m.text","body":"re","m.relates_to":{"m.in_reply_to":{"event_id":"$x"}}}`)})
			if reply.Relation != nil {
				t.Errorf("reply relation %+v", reply.Relation)
			}
		})
	}
}

func TestProposeStateChange(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			old := k.room.State(event.StateKey{Type: event.TypeJoinRules})
			fx := k.propose(state(alice, event.TypeJoinRules, "", `{"join_rule":"invite"}`))
			want := []StateChange{{Key: event.StateKey{Type: event.TypeJoinRules}, Old: old.ID, New: fx.Event.ID}}
			if !slices.Equal(fx.StateDelta, want) {
				t.Errorf("delta %v, want %v", fx.StateDelta, want)
			}
			fx = k.propose(state(alice, event.TypeName, "", `{"name":"Pub"}`))
			if !slices.Equal(fx.StateDelta, []StateChange{{Key: event.StateKey{Type: event.TypeName}, New: fx.Event.ID}}) {
				t.Errorf("new slot delta %v", fx.StateDelta)
			}
			if k.room.State(event.StateKey{Type: event.TypeName}) != fx.Event {
				t.Errorf("state not updated")
			}
			// bob (level 0) may not rename the room: M_FORBIDDEN naming the rule.
			_, err := k.try(state(bob, event.TypeName, "", `{"name":"Bob's"}`))
			wantErr(t, err, ErrForbidden, "required power level")
			if got := k.room.State(event.StateKey{Type: event.TypeName}); got != fx.Event {
				t.Errorf("refused event changed the state")
			}
			// A custom state event with an empty state key.
			fx = k.propose(state(alice, "org.example.flag", "", `{"on":true}`))
			if fx.StateDelta[0].Key != (event.StateKey{Type: "org.example.flag"}) {
				t.Errorf("delta %v", fx.StateDelta)
			}
		})
	}
}

func TestProposeBadInput(t *testing.T) {
	big := strings.Repeat("x", event.MaxSize)
	tests := []struct {
		name     string
		version  version.ID
		p        Proposal
		sentinel error
		rule     string
	}{
		{"empty type", "11", Proposal{Sender: alice}, ErrInvalidParam, ""},
		{"long type", "11", Proposal{Type: strings.Repeat("t", 256), Sender: alice}, ErrInvalidParam, ""},
		{"long state key", "11", state(alice, "x", strings.Repeat("k", 256), `{}`), ErrInvalidParam, ""},
		{"create", "11", state(alice, event.TypeCreate, "", `{}`), ErrInvalidParam, ""},
		{"content array", "11", Proposal{Type: "m.room.message", Sender: alice, Content: []byte(`[]`)}, ErrBadJSON, ""},
		{"content broken", "11", Proposal{Type: "m.room.message", Sender: alice, Content: []byte(`{"a":`)}, ErrBadJSON, ""},
		{"float in v11", "11", Proposal{Type: "m.room.message", Sender: alice, Content: []byte(`{"n":1.5}`)}, ErrBadJSON, ""},
		{"too large", "11", Proposal{Type: "m.room.message", Sender: alice, Content: []byte(`{"body":"` + big + `"}`)}, ErrTooLarge, ""},
		{"remote sender", "11", message(dave, "hi"), ErrNotLocal, ""},
		{"string power level in v11", "11", state(alice, event.TypePowerLevels, "", `{"ban":"50"}`), ErrBadJSON, ""},
		{"float power level in v10", "10", state(alice, event.TypePowerLevels, "", `{"users":{"@alice:example.org":100.5}}`), ErrBadJSON, ""},
		{"power level users not object", "11", state(alice, event.TypePowerLevels, "", `{"users":[]}`), ErrBadJSON, ""},
		{"knock join rule in v6", "6", state(alice, event.TypeJoinRules, "", `{"join_rule":"knock"}`), ErrBadJSON, ""},
		{"restricted in v7", "7", state(alice, event.TypeJoinRules, "", `{"join_rule":"restricted"}`), ErrBadJSON, ""},
		{"restricted allow without room", "11", state(alice, event.TypeJoinRules, "", `{"join_rule":"restricted","allow":[{"type":"m.room_membership"}]}`), ErrBadJSON, ""},
		{"join rule missing", "11", state(alice, event.TypeJoinRules, "", `{}`), ErrBadJSON, ""},
		{"history visibility unknown", "11", state(alice, event.TypeHistoryVisibility, "", `{"history_visibility":"everyone"}`), ErrBadJSON, ""},
		{"guest access unknown", "11", state(alice, event.TypeGuestAccess, "", `{"guest_access":"maybe"}`), ErrBadJSON, ""},
		{"name too long", "11", state(alice, event.TypeName, "", `{"name":"`+strings.Repeat("n", 256)+`"}`), ErrBadJSON, ""},
		{"name not string", "11", state(alice, event.TypeName, "", `{"name":5}`), ErrBadJSON, ""},
		{"topic not string", "11", state(alice, event.TypeTopic, "", `{"topic":[]}`), ErrBadJSON, ""},
		{"bad canonical alias", "11", state(alice, event.TypeCanonicalAlias, "", `{"alias":"thepub"}`), ErrBadJSON, ""},
		{"bad alt alias", "11", state(alice, event.TypeCanonicalAlias, "", `{"alt_aliases":["#ok:example.org","nope"]}`), ErrBadJSON, ""},
		{"tombstone without room", "11", state(alice, event.TypeTombstone, "", `{"body":"gone"}`), ErrBadJSON, ""},
		{"encryption without algorithm", "11", state(alice, event.TypeEncryption, "", `{}`), ErrBadJSON, ""},
		{"acl allow not list", "11", state(alice, event.TypeServerACL, "", `{"allow":"*"}`), ErrBadJSON, ""},
		{"member key not a user", "11", state(alice, event.TypeMember, "bob", `{"membership":"join"}`), ErrBadJSON, ""},
		{"member without membership", "11", state(alice, event.TypeMember, alice, `{}`), ErrBadJSON, ""},
		{"member unknown membership", "11", state(alice, event.TypeMember, alice, `{"membership":"lurk"}`), ErrBadJSON, ""},
		{"knock in v6", "6", Knock(bob, MemberOptions{}), ErrBadJSON, ""},
		{"redacts on a message", "11", Proposal{Type: "m.room.message", Sender: alice, Redacts: "$x"}, ErrInvalidParam, ""},
		{"non-UTF-8 type", "11", Proposal{Type: "m.\xff", Sender: alice}, ErrInvalidParam, ""},
		{"redaction without target", "11", Proposal{Type: event.TypeRedaction, Sender: alice}, ErrInvalidParam, ""},
		{"message by a stranger", "11", message(carol, "hi"), ErrForbidden, "sender"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newKit(t, tc.version, PresetPublicChat, bob)
			before := k.room.Extremities()
			fx, err := k.try(tc.p)
			if fx != nil {
				t.Errorf("refused proposal returned effects")
			}
			wantErr(t, err, tc.sentinel, tc.rule)
			if !slices.Equal(k.room.Extremities(), before) {
				t.Errorf("refused proposal moved the extremities")
			}
		})
	}
}

// TestProposeLegacyPowerLevels: before v10 power levels may be strings.
func TestProposeLegacyPowerLevels(t *testing.T) {
	k := newKit(t, "9", PresetPublicChat, bob)
	k.propose(state(alice, event.TypePowerLevels, "", `{"users":{"@alice:example.org":"100","@bob:example.org":"60"},"kick":"50"}`))
	if level, _ := k.room.PowerLevel(bob); level != 60 {
		t.Errorf("bob's level %d, want 60", level)
	}
}

func TestProposeBeforeCreate(t *testing.T) {
	r := newRoom("!r:example.org", mustVersion(t, "11"), testSigner(t, here))
	if _, err := r.Propose(message(alice, "hi"), 1); err != ErrNotCreated {
		t.Fatalf("error %v, want ErrNotCreated", err)
	}
}

// TestPrevEventsCap: a room with many extremities cites only the deepest
// maxPrevEvents of them, and the new event replaces those.
func TestPrevEventsCap(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat)
	base := k.room.extremities[0]
	var forks []*event.Event
	for range 14 {
		k.room.extremities = []*event.Event{base}
		fx := k.propose(message(alice, "fork"))
		forks = append(forks, fx.Event)
	}
	// Give the forks different depths so the choice is visible.
	k.room.extremities = nil
	for i, f := range forks {
		c := *f
		c.Depth = int64(100 + i)
		k.room.extremities = append(k.room.extremities, &c)
	}
	fx := k.propose(message(alice, "merge"))
	if len(fx.Event.PrevEvents) != maxPrevEvents {
		t.Fatalf("%d prev_events, want %d", len(fx.Event.PrevEvents), maxPrevEvents)
	}
	for _, f := range forks[:4] {
		if slices.Contains(fx.Event.PrevEvents, f.ID) {
			t.Errorf("a shallow extremity was cited")
		}
	}
	if fx.Event.Depth != 100+13+1 {
		t.Errorf("depth %d, want %d", fx.Event.Depth, 114)
	}
	if len(fx.Extremities) != 5 {
		t.Errorf("%d extremities after the merge, want 4 uncited + the new event", len(fx.Extremities))
	}
}

// TestProposeUnsignedContentIsCanonical: the event content is stored in
// canonical form whatever the client's formatting.
func TestProposeCanonicalContent(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat)
	fx := k.propose(Proposal{Type: "m.room.message", Sender: alice, Content: []byte(`{ "body" : "x", "a": 1 }`)})
	if string(fx.Event.Content) != `{"a":1,"body":"x"}` {
		t.Errorf("content %s", fx.Event.Content)
	}
	var m map[string]any
	if err := json.Unmarshal(fx.Event.Raw, &m); err != nil || m["type"] != "m.room.message" {
		t.Errorf("raw %s", fx.Event.Raw)
	}
}
