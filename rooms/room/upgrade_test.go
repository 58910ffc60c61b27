package room

import (
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func TestUpgrade(t *testing.T) {
	tests := []struct{ from, to version.ID }{{"9", "11"}, {"11", "12"}, {"12", "12"}, {"10", "11"}}
	for _, tc := range tests {
		t.Run(string(tc.from)+"→"+string(tc.to), func(t *testing.T) {
			k := newKitWith(t, CreateParams{
				Version: mustVersion(t, tc.from), Preset: PresetPublicChat, Alias: "#pub:example.org",
				Name: ptr("Pub"), Topic: ptr("Beer"), CreationContent: []byte(`{"type":"m.space"}`),
				InitialState: []StateEvent{
					{Type: "m.room.avatar", Content: []byte(`{"url":"mxc://example.org/pic"}`)},
					{Type: event.TypeServerACL, Content: []byte(`{"allow":["*"],"deny":["evil.example"]}`)},
					{Type: event.TypeHistoryVisibility, Content: []byte(`{"history_visibility":"joined"}`)},
					{Type: "org.example.private", Content: []byte(`{"not":"carried"}`)},
				},
			}, bob)
			k.propose(Ban(alice, carol, "spam"))
			newest := k.room.Extremities()[0]
			if tc.from == "9" {
				// Pre-v10 rooms may hold string power levels; the new room gets integers.
				k.propose(state(alice, event.TypePowerLevels, "", `{"users":{"@alice:example.org":"100","@bob:example.org":"20"},"ban":"50"}`))
				newest = k.room.Extremities()[0]
			}

			plan, err := UpgradePlan(k.room, mustVersion(t, tc.to), alice, nil)
			if err != nil {
				t.Fatal(err)
			}
			pred := plan.Create.Predecessor
			if pred == nil || pred.RoomID != k.room.ID() || pred.EventID != newest {
				t.Errorf("predecessor %+v", pred)
			}
			s := testSigner(t, here)
			nr, fx, err := Create(plan.Create, s, k.now+1)
			if err != nil {
				t.Fatalf("creating the replacement: %v", err)
			}
			create := contentOf(t, fx[0].Event)
			if create["type"] != "m.space" || create["predecessor"].(map[string]any)["room_id"] != k.room.ID() {
				t.Errorf("create content %v", create)
			}
			for _, typ := range []string{event.TypeName, event.TypeTopic, "m.room.avatar", event.TypeServerACL,
				event.TypeHistoryVisibility, event.TypeJoinRules, event.TypeGuestAccess, event.TypeCanonicalAlias} {
				old, got := k.room.State(event.StateKey{Type: typ}), nr.State(event.StateKey{Type: typ})
				if got == nil || string(got.Content) != string(old.Content) {
					t.Errorf("%s not carried over: %v", typ, got)
				}
			}
			if nr.State(event.StateKey{Type: "org.example.private"}) != nil {
				t.Errorf("non-spec state carried over")
			}
			if got := nr.Banned(); !slices.Equal(got, []string{carol}) {
				t.Errorf("bans %v", got)
			}
			if got := nr.Joined(); !slices.Equal(got, []string{alice}) {
				t.Errorf("members carried over: %v", got)
			}
			pl := contentOf(t, nr.State(keyPowerLevelsT))
			users := pl["users"].(map[string]any)
			if tc.to == "12" {
				if _, ok := users[alice]; ok {
					t.Errorf("v12 creator listed in users: %v", users)
				}
			} else if users[alice] != float64(100) {
				t.Errorf("upgrader's level %v", users[alice])
			}
			if tc.from == "9" && users[bob] != float64(20) {
				t.Errorf("bob's level %v not carried as an integer", users[bob])
			}

			tomb := k.propose(plan.Tombstone(nr.ID()))
			if got := contentOf(t, tomb.Event)["replacement_room"]; got != nr.ID() {
				t.Errorf("tombstone replacement_room %v", got)
			}
			if plan.ClearOldAlias == nil {
				t.Fatal("no canonical alias removal in the old room")
			}
			k.propose(*plan.ClearOldAlias)
			if got := k.stateContent(event.TypeCanonicalAlias, ""); len(got) != 0 {
				t.Errorf("old room keeps canonical alias %v", got)
			}
			if plan.RestrictOld == nil {
				t.Fatal("no old-room restriction for an admin upgrader")
			}
			k.propose(*plan.RestrictOld)
			_, err = k.try(message(bob, "still here?"))
			wantErr(t, err, ErrForbidden, "required power level")
		})
	}
}

func TestUpgradeForbidden(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat, bob)
	_, err := UpgradePlan(k.room, mustVersion(t, "12"), bob, nil)
	wantErr(t, err, ErrForbidden, "")
	_, err = UpgradePlan(k.room, mustVersion(t, "12"), carol, nil)
	wantErr(t, err, ErrForbidden, "")
	_, err = UpgradePlan(k.room, mustVersion(t, "12"), dave, nil)
	wantErr(t, err, ErrNotLocal, "")
	_, err = UpgradePlan(k.room, version.Spec{ID: "99"}, alice, nil)
	wantErr(t, err, ErrInvalidParam, "")
}

// TestUpgradeAdditionalCreators: an upgrade to v12 names the requested
// additional creators and keeps them out of users.
func TestUpgradeAdditionalCreators(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat, bob)
	k.propose(state(alice, event.TypePowerLevels, "", `{"users":{"@alice:example.org":100,"@bob:example.org":100}}`))
	plan, err := UpgradePlan(k.room, mustVersion(t, "12"), alice, []string{bob})
	if err != nil {
		t.Fatal(err)
	}
	nr, fx, err := Create(plan.Create, testSigner(t, here), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := contentOf(t, fx[0].Event)["additional_creators"]; !slices.Equal(got.([]any), []any{bob}) {
		t.Errorf("additional_creators %v", got)
	}
	if _, creator := nr.PowerLevel(bob); !creator {
		t.Errorf("bob is not a creator of the new room")
	}
}
