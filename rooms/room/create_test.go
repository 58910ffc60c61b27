package room

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// contentOf decodes an event's content into a generic map.
func contentOf(t testing.TB, ev *event.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Content, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// stateContent returns the content of the current state event in a slot.
func (k *kit) stateContent(typ, stateKey string) map[string]any {
	k.t.Helper()
	ev := k.room.State(event.StateKey{Type: typ, StateKey: stateKey})
	if ev == nil {
		k.t.Fatalf("no %s/%q in state", typ, stateKey)
	}
	return contentOf(k.t, ev)
}

func TestCreatePresets(t *testing.T) {
	tests := []struct {
		version          version.ID
		preset           string
		visibility       string
		joinRule, guest  string
		invite           float64
		bobLevel         float64 // power of the invitee bob; 0 when not in users
		bobCreator       bool    // bob in additional_creators (v12 trusted)
		creatorInPLUsers bool
		tombstone        float64
	}{
		{"11", PresetPrivateChat, "", "invite", "can_join", 0, 0, false, true, 100},
		{"11", PresetTrustedPrivateChat, "", "invite", "can_join", 0, 100, false, true, 100},
		{"11", PresetPublicChat, "", "public", "forbidden", 50, 0, false, true, 100},
		{"11", "", "public", "public", "forbidden", 50, 0, false, true, 100},
		{"11", "", "", "invite", "can_join", 0, 0, false, true, 100},
		{"12", PresetPrivateChat, "", "invite", "can_join", 0, 0, false, false, 150},
		{"12", PresetTrustedPrivateChat, "", "invite", "can_join", 0, 0, true, false, 150},
		{"12", PresetPublicChat, "", "public", "forbidden", 50, 0, false, false, 150},
	}
	for _, tc := range tests {
		t.Run(string(tc.version)+"/"+tc.preset+tc.visibility, func(t *testing.T) {
			k := newKitWith(t, CreateParams{
				Version: mustVersion(t, tc.version), Preset: tc.preset, Visibility: tc.visibility,
				Invite: []string{bob}, IsDirect: true,
			})
			want := []string{
				event.TypeCreate, event.TypeMember + "/" + alice, event.TypePowerLevels,
				event.TypeJoinRules, event.TypeHistoryVisibility, event.TypeGuestAccess,
				event.TypeMember + "/" + bob,
			}
			if got := types(k.created); !slices.Equal(got, want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			if got := k.stateContent(event.TypeJoinRules, "")["join_rule"]; got != tc.joinRule {
				t.Errorf("join_rule %v, want %s", got, tc.joinRule)
			}
			if got := k.stateContent(event.TypeHistoryVisibility, "")["history_visibility"]; got != "shared" {
				t.Errorf("history_visibility %v, want shared", got)
			}
			if got := k.stateContent(event.TypeGuestAccess, "")["guest_access"]; got != tc.guest {
				t.Errorf("guest_access %v, want %s", got, tc.guest)
			}
			pl := k.stateContent(event.TypePowerLevels, "")
			users := pl["users"].(map[string]any)
			if _, ok := users[alice]; ok != tc.creatorInPLUsers {
				t.Errorf("creator in users: %v, want %v", ok, tc.creatorInPLUsers)
			}
			if got, _ := users[bob].(float64); got != tc.bobLevel {
				t.Errorf("bob's level %v, want %v", got, tc.bobLevel)
			}
			if pl["invite"] != tc.invite {
				t.Errorf("invite level %v, want %v", pl["invite"], tc.invite)
			}
			if got := pl["events"].(map[string]any)[event.TypeTombstone]; got != tc.tombstone {
				t.Errorf("tombstone level %v, want %v", got, tc.tombstone)
			}
			create := contentOf(t, k.created[0].Event)
			if create["room_version"] != string(tc.version) {
				t.Errorf("room_version %v", create["room_version"])
			}
			extra, _ := create["additional_creators"].([]any)
			if got := slices.Contains(extra, any(bob)); got != tc.bobCreator {
				t.Errorf("bob in additional_creators %v, want %v", got, tc.bobCreator)
			}
			invite := contentOf(t, k.created[6].Event)
			if invite["membership"] != "invite" || invite["is_direct"] != true {
				t.Errorf("invite content %v, want membership invite with is_direct", invite)
			}
			if got := k.room.Invited(); !slices.Equal(got, []string{bob}) {
				t.Errorf("invited %v", got)
			}
			if got := k.room.Joined(); !slices.Equal(got, []string{alice}) {
				t.Errorf("joined %v", got)
			}
		})
	}
}

func TestCreateRoomID(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		k := newKit(t, v, PresetPrivateChat)
		create := k.created[0].Event
		id := k.room.ID()
		if v == "12" {
			if create.RoomID != "" && create.RoomID != id {
				t.Errorf("v12 create carries room_id %q", create.RoomID)
			}
			if id != "!"+create.ID[1:] {
				t.Errorf("v12 room ID %s is not derived from create event %s", id, create.ID)
			}
		} else if !strings.HasSuffix(id, ":"+here) || len(id) != 1+roomIDLetters+1+len(here) {
			t.Errorf("room ID %s is not !<18 letters>:%s", id, here)
		}
		for _, f := range k.created[1:] {
			if f.Event.RoomID != id {
				t.Errorf("%s in room %s, want %s", f.Event.Type, f.Event.RoomID, id)
			}
		}
	}
}

// TestCreateOrder checks the full order of create_room.yaml with every
// optional step, and the precedence rules: initial_state over the preset,
// name and topic over initial_state.
func TestCreateOrder(t *testing.T) {
	name, topic := "The Grand Duke Pub", "All about happy hour"
	k := newKitWith(t, CreateParams{
		Version: mustVersion(t, "11"), Preset: PresetPublicChat, Alias: "#thepub:example.org",
		InitialState: []StateEvent{
			{Type: event.TypeHistoryVisibility, Content: []byte(`{"history_visibility":"joined"}`)},
			{Type: event.TypeName, Content: []byte(`{"name":"overwritten"}`)},
			{Type: event.TypeEncryption, Content: []byte(`{"algorithm":"m.megolm.v1.aes-sha2"}`)},
			{Type: "org.example.custom", StateKey: "k", Content: []byte(`{"a":1}`)},
		},
		Name: &name, Topic: &topic, Invite: []string{bob, carol},
		CreationContent: []byte(`{"m.federate":false,"creator":"@mallory:example.org","type":"m.space"}`),
		DisplayName:     "Alice",
	})
	want := []string{
		event.TypeCreate, event.TypeMember + "/" + alice, event.TypePowerLevels, event.TypeCanonicalAlias,
		event.TypeJoinRules, event.TypeGuestAccess, // history visibility comes from initial_state
		event.TypeHistoryVisibility, event.TypeEncryption, "org.example.custom/k",
		event.TypeName, event.TypeTopic,
		event.TypeMember + "/" + bob, event.TypeMember + "/" + carol,
	}
	if got := types(k.created); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	if got := k.stateContent(event.TypeHistoryVisibility, "")["history_visibility"]; got != "joined" {
		t.Errorf("history_visibility %v: initial_state must win over the preset", got)
	}
	if got := k.stateContent(event.TypeName, "")["name"]; got != name {
		t.Errorf("name %v: name must win over initial_state", got)
	}
	topicContent := k.stateContent(event.TypeTopic, "")
	if topicContent["topic"] != topic {
		t.Errorf("topic %v", topicContent)
	}
	if _, ok := topicContent["m.topic"]; !ok {
		t.Errorf("topic without m.topic text/plain representation: %v", topicContent)
	}
	if got := k.stateContent(event.TypeCanonicalAlias, "")["alias"]; got != "#thepub:example.org" {
		t.Errorf("canonical alias %v", got)
	}
	create := contentOf(t, k.created[0].Event)
	if create["m.federate"] != false || create["type"] != "m.space" {
		t.Errorf("creation_content not carried: %v", create)
	}
	if _, ok := create["creator"]; ok {
		t.Errorf("v11 create content has creator: %v", create)
	}
	if got := k.stateContent(event.TypeMember, alice)["displayname"]; got != "Alice" {
		t.Errorf("creator's displayname %v", got)
	}
	// Depths grow by one and every event cites the previous one.
	for i, f := range k.created {
		if f.Event.Depth != int64(i+1) {
			t.Errorf("event %d depth %d", i, f.Event.Depth)
		}
		if i > 0 && !slices.Equal(f.Event.PrevEvents, []string{k.created[i-1].Event.ID}) {
			t.Errorf("event %d prev_events %v", i, f.Event.PrevEvents)
		}
	}
}

func TestCreateV10CreatorInContent(t *testing.T) {
	k := newKitWith(t, CreateParams{Version: mustVersion(t, "10"), CreationContent: []byte(`{"creator":"@mallory:example.org"}`)})
	if got := contentOf(t, k.created[0].Event)["creator"]; got != alice {
		t.Errorf("creator %v, want %s (the server overwrites it)", got, alice)
	}
}

func TestCreatePowerLevelOverride(t *testing.T) {
	k := newKitWith(t, CreateParams{
		Version: mustVersion(t, "11"), Preset: PresetPrivateChat,
		PowerLevelOverride: []byte(`{"users":{"@alice:example.org":100,"@bob:example.org":50},"events_default":10}`),
	})
	pl := k.stateContent(event.TypePowerLevels, "")
	if pl["events_default"] != float64(10) || pl["users"].(map[string]any)[bob] != float64(50) {
		t.Errorf("override not applied: %v", pl)
	}
	if pl["state_default"] != float64(50) {
		t.Errorf("keys the override does not name must keep their defaults: %v", pl)
	}
}

func TestCreateErrors(t *testing.T) {
	v11, v12 := mustVersion(t, "11"), mustVersion(t, "12")
	tests := []struct {
		name     string
		p        CreateParams
		sentinel error
		rule     string
	}{
		{"unknown preset", CreateParams{Version: v11, Preset: "party"}, ErrInvalidParam, ""},
		{"bad visibility", CreateParams{Version: v11, Visibility: "secret"}, ErrInvalidParam, ""},
		{"unknown version", CreateParams{Version: version.Spec{ID: "99"}}, ErrInvalidParam, ""},
		{"remote creator", CreateParams{Version: v11, Creator: dave}, ErrNotLocal, ""},
		{"bad invitee", CreateParams{Version: v11, Invite: []string{"bob"}}, ErrInvalidParam, ""},
		{"create in initial_state", CreateParams{Version: v11, InitialState: []StateEvent{{Type: event.TypeCreate, Content: []byte(`{}`)}}}, ErrInvalidParam, ""},
		{"creation_content not an object", CreateParams{Version: v11, CreationContent: []byte(`[1]`)}, ErrBadJSON, ""},
		{"bad initial join rule", CreateParams{Version: v11, InitialState: []StateEvent{{Type: event.TypeJoinRules, Content: []byte(`{"join_rule":"whoever"}`)}}}, ErrBadJSON, ""},
		{"override with string level in v11", CreateParams{Version: v11, PowerLevelOverride: []byte(`{"ban":"50"}`)}, ErrBadJSON, ""},
		{"override demoting the creator", CreateParams{Version: v11, Name: ptr("x"),
			PowerLevelOverride: []byte(`{"users":{"@alice:example.org":10}}`)}, ErrInvalidRoomState, "required power level"},
		{"v12 creator in users", CreateParams{Version: v12,
			PowerLevelOverride: []byte(`{"users":{"@alice:example.org":100}}`)}, ErrInvalidRoomState, "power_levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.Creator == "" {
				tc.p.Creator = alice
			}
			r, fx, err := Create(tc.p, testSigner(t, here), 1)
			if r != nil || fx != nil {
				t.Errorf("failed Create returned a room")
			}
			wantErr(t, err, tc.sentinel, tc.rule)
		})
	}
}

func ptr(s string) *string { return &s }

// TestAllVersions creates a room, lets bob join and sends a message in
// every room version.
func TestAllVersions(t *testing.T) {
	for _, v := range version.All() {
		t.Run(string(v.ID), func(t *testing.T) {
			k := newKit(t, v.ID, PresetPublicChat)
			join := k.propose(Join(bob, MemberOptions{DisplayName: "Bob"}))
			if !slices.Equal(join.Memberships, []MembershipChange{{UserID: bob, Old: "leave", New: "join"}}) {
				t.Errorf("join memberships %v", join.Memberships)
			}
			msg := k.propose(message(bob, "hello"))
			if msg.Event.Version.ID != v.ID || msg.Event.RoomID != k.room.ID() {
				t.Fatalf("message in %s v%s", msg.Event.RoomID, msg.Event.Version.ID)
			}
			if !slices.Equal(msg.Event.PrevEvents, []string{join.Event.ID}) || msg.Event.Depth != join.Event.Depth+1 {
				t.Errorf("message prev %v depth %d after join %s depth %d", msg.Event.PrevEvents, msg.Event.Depth, join.Event.ID, join.Event.Depth)
			}
			if !slices.Equal(msg.Extremities, []string{msg.Event.ID}) {
				t.Errorf("extremities %v", msg.Extremities)
			}
			if len(msg.StateDelta) != 0 || len(msg.Memberships) != 0 || len(msg.Destinations) != 0 {
				t.Errorf("message effects %+v", msg)
			}
			// The event verifies and re-parses to the same ID.
			if err := event.VerifyEventSignature(msg.Event.Raw, v, here, "ed25519:test", testSigner(t, here).Key.Public); err != nil {
				t.Errorf("signature: %v", err)
			}
			again, err := event.Parse(msg.Event.Raw, v)
			if err != nil || again.ID != msg.Event.ID {
				t.Errorf("re-parse: %v, id %v", err, again)
			}
			// auth_events: create (not v12), power levels, bob's member event.
			wantAuth := []string{k.room.State(keyPowerLevelsT).ID, join.Event.ID}
			if !v.RoomIDFromCreateEvent {
				wantAuth = append(wantAuth, k.created[0].Event.ID)
			}
			if !sameSet(msg.Event.AuthEvents, wantAuth) {
				t.Errorf("auth_events %v, want %v", msg.Event.AuthEvents, wantAuth)
			}
			if err := auth.Allowed(msg.Event, k.room); err != nil {
				t.Errorf("Allowed: %v", err)
			}
		})
	}
}

var keyPowerLevelsT = event.StateKey{Type: event.TypePowerLevels}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
