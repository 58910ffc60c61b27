package stateres

import (
	"encoding/json"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// kit builds the events of one test room in one line each. Events cite the
// create event in their auth events in every version; for room version 12
// the kit drops that citation and derives the room ID from the create
// event, as v12.md requires. For room versions 1–10 it adds content.creator
// to the create event.
type kit struct {
	t      testing.TB
	v      version.Spec
	roomID string
	events EventMap
	order  []string
	ts     int64
}

const createID = "$CREATE"

func newKit(t testing.TB, id version.ID) *kit {
	t.Helper()
	v, err := version.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	k := &kit{t: t, v: v, roomID: "!room:a", events: EventMap{}}
	if v.RoomIDFromCreateEvent {
		k.roomID = "!" + createID[1:]
	}
	return k
}

// spec describes one event for the kit.
type spec struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	StateKey *string         `json:"state_key,omitempty"`
	Sender   string          `json:"sender"`
	Content  json.RawMessage `json:"content"`
	Auth     []string        `json:"auth"`
	Prev     []string        `json:"prev"`
	Depth    int64           `json:"depth,omitempty"`
	TS       int64           `json:"ts,omitempty"`
}

// add builds and stores the event s describes. ts defaults to one more than
// the previous event's, depth to one more than the deepest prev event.
func (k *kit) add(s spec) *event.Event {
	k.t.Helper()
	if _, dup := k.events[s.ID]; dup {
		k.t.Fatalf("duplicate event %s", s.ID)
	}
	if s.TS == 0 {
		s.TS = k.ts + 1
	}
	k.ts = s.TS
	if s.Depth == 0 {
		s.Depth = 1
		for _, p := range s.Prev {
			if pe, ok := k.events[p]; ok && pe.Depth+1 > s.Depth {
				s.Depth = pe.Depth + 1
			}
		}
	}
	content := s.Content
	if len(content) == 0 {
		content = json.RawMessage(`{}`)
	}
	ev := &event.Event{
		ID: s.ID, RoomID: k.roomID, Type: s.Type, StateKey: s.StateKey, Sender: s.Sender,
		Content: content, PrevEvents: s.Prev, Depth: s.Depth, OriginServerTS: s.TS, Version: k.v,
	}
	if s.Type == event.TypePowerLevels {
		ev.Content = k.powerContent(content)
	}
	if s.Type == event.TypeCreate {
		if k.v.RoomIDFromCreateEvent {
			ev.RoomID = ""
		}
		if k.v.CreatorInContent {
			var c map[string]any
			if err := json.Unmarshal(content, &c); err != nil {
				k.t.Fatalf("create content: %v", err)
			}
			if _, ok := c["creator"]; !ok {
				c["creator"] = s.Sender
			}
			ev.Content, _ = json.Marshal(c)
		}
	}
	for _, a := range s.Auth {
		if a == createID && k.v.RoomIDFromCreateEvent {
			continue
		}
		ev.AuthEvents = append(ev.AuthEvents, a)
	}
	k.events[s.ID] = ev
	k.order = append(k.order, s.ID)
	return ev
}

// state builds a state map from event IDs, each in its own slot.
func (k *kit) state(ids ...string) StateMap {
	k.t.Helper()
	m := StateMap{}
	for _, id := range ids {
		ev, ok := k.events[id]
		if !ok {
			k.t.Fatalf("state: unknown event %s", id)
		}
		if _, dup := m[ev.Key()]; dup {
			k.t.Fatalf("state: two events for slot %v", ev.Key())
		}
		m[ev.Key()] = id
	}
	return m
}

func sk(s string) *string { return &s }

// The one-line helpers below build the usual events of a room.

func (k *kit) create(id, sender string) *event.Event {
	return k.add(spec{ID: id, Type: event.TypeCreate, StateKey: sk(""), Sender: sender,
		Content: json.RawMessage(`{"room_version":"` + string(k.v.ID) + `"}`)})
}

func (k *kit) member(id, sender, target, membership string, auth []string, prev ...string) *event.Event {
	return k.add(spec{ID: id, Type: event.TypeMember, StateKey: sk(target), Sender: sender,
		Content: json.RawMessage(`{"membership":"` + membership + `"}`), Auth: auth, Prev: prev})
}

func (k *kit) power(id, sender, content string, auth []string, prev ...string) *event.Event {
	return k.add(spec{ID: id, Type: event.TypePowerLevels, StateKey: sk(""), Sender: sender,
		Content: json.RawMessage(content), Auth: auth, Prev: prev})
}

// powerContent drops the room creator from users in room version 12, whose
// rules refuse power levels that list a creator (v12.md, authorisation rule
// 10.4): tests write one content for every version.
func (k *kit) powerContent(content json.RawMessage) json.RawMessage {
	if !k.v.PrivilegedCreators {
		return content
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(content, &c); err != nil {
		k.t.Fatalf("power levels content: %v", err)
	}
	var users map[string]json.RawMessage
	if raw, ok := c["users"]; ok {
		if err := json.Unmarshal(raw, &users); err != nil {
			k.t.Fatalf("power levels users: %v", err)
		}
		delete(users, k.creator())
		c["users"], _ = json.Marshal(users)
	}
	out, _ := json.Marshal(c)
	return out
}

// creator is the sender of the kit's create event.
func (k *kit) creator() string {
	if ev, ok := k.events[createID]; ok {
		return ev.Sender
	}
	return ""
}

func (k *kit) joinRules(id, sender, rule string, auth []string, prev ...string) *event.Event {
	return k.add(spec{ID: id, Type: event.TypeJoinRules, StateKey: sk(""), Sender: sender,
		Content: json.RawMessage(`{"join_rule":"` + rule + `"}`), Auth: auth, Prev: prev})
}

func (k *kit) topic(id, sender, topic string, auth []string, prev ...string) *event.Event {
	return k.add(spec{ID: id, Type: event.TypeTopic, StateKey: sk(""), Sender: sender,
		Content: json.RawMessage(`{"topic":"` + topic + `"}`), Auth: auth, Prev: prev})
}

func ids(s ...string) []string { return s }

// baseRoom builds the room every building-block test starts from: alice
// creates it (power 100), sets join_rules public, and bob, charlie and zara
// join. It returns the state after those events.
func (k *kit) baseRoom() StateMap {
	k.create(createID, "@alice:a")
	k.member("$IMA", "@alice:a", "@alice:a", "join", ids(createID), createID)
	k.power("$IPOWER", "@alice:a", `{"users":{"@alice:a":100}}`, ids(createID, "$IMA"), "$IMA")
	k.joinRules("$IJR", "@alice:a", "public", ids(createID, "$IMA", "$IPOWER"), "$IPOWER")
	k.member("$IMB", "@bob:b", "@bob:b", "join", ids(createID, "$IJR", "$IPOWER"), "$IJR")
	k.member("$IMC", "@charlie:c", "@charlie:c", "join", ids(createID, "$IJR", "$IPOWER"), "$IMB")
	k.member("$IMZ", "@zara:z", "@zara:z", "join", ids(createID, "$IJR", "$IPOWER"), "$IMC")
	return k.state(createID, "$IMA", "$IPOWER", "$IJR", "$IMB", "$IMC", "$IMZ")
}

// with returns a copy of s with the given events put in their slots.
func (k *kit) with(s StateMap, evIDs ...string) StateMap {
	out := StateMap{}
	for key, id := range s {
		out[key] = id
	}
	for _, id := range evIDs {
		out[k.events[id].Key()] = id
	}
	return out
}

func memberKey(user string) event.StateKey {
	return event.StateKey{Type: event.TypeMember, StateKey: user}
}
