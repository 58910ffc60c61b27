package room

import (
	"errors"
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// TestLoad: a room reloaded from its state and extremities has the same
// views and carries on where the original stopped.
func TestLoad(t *testing.T) {
	for _, v := range []version.ID{"1", "11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			k.joinDave()
			k.propose(state(alice, event.TypeJoinRules, "", `{"join_rule":"invite"}`))
			k.propose(Invite(alice, carol, MemberOptions{}))
			k.propose(Ban(alice, "@eve:example.org", ""))
			last := k.propose(message(bob, "before passivation"))

			loaded, err := Load(Stored{
				RoomID: k.room.ID(), Version: k.v, State: k.room.StateEvents(), Extremities: []*event.Event{last.Event},
			}, testSigner(t, here))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{"join", "invite", "knock", "ban"} {
				if got, want := loaded.Members(m), k.room.Members(m); !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", m, got, want)
				}
			}
			if got := loaded.Servers(); !slices.Equal(got, []string{here, there}) {
				t.Errorf("servers %v", got)
			}
			if loaded.MaxDepth() != last.Event.Depth || !slices.Equal(loaded.Extremities(), []string{last.Event.ID}) {
				t.Errorf("depth %d extremities %v", loaded.MaxDepth(), loaded.Extremities())
			}
			fx, err := loaded.Propose(message(alice, "after"), k.now+1)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fx.Event.PrevEvents, []string{last.Event.ID}) || fx.Event.Depth != last.Event.Depth+1 {
				t.Errorf("prev %v depth %d", fx.Event.PrevEvents, fx.Event.Depth)
			}
			if !slices.Equal(fx.Destinations, []string{there}) {
				t.Errorf("destinations %v", fx.Destinations)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat)
	other := newKitWith(t, CreateParams{Version: k.v, CreationContent: []byte(`{"n":3}`)})
	msg := k.propose(message(alice, "x")).Event
	state := k.room.StateEvents()
	tests := []struct {
		name     string
		st       Stored
		sentinel error
	}{
		{"no create", Stored{RoomID: k.room.ID(), Version: k.v, State: state[1:], Extremities: []*event.Event{msg}}, ErrMissingState},
		{"no extremities", Stored{RoomID: k.room.ID(), Version: k.v, State: state}, ErrMissingState},
		{"message in state", Stored{RoomID: k.room.ID(), Version: k.v, State: append(slices.Clone(state), msg), Extremities: []*event.Event{msg}}, ErrMissingState},
		{"other room's state", Stored{RoomID: k.room.ID(), Version: k.v, State: other.room.StateEvents(), Extremities: []*event.Event{msg}}, ErrWrongRoom},
		{"wrong version", Stored{RoomID: k.room.ID(), Version: mustVersion(t, "10"), State: state, Extremities: []*event.Event{msg}}, ErrWrongRoom},
	}
	for _, tc := range tests {
		if _, err := Load(tc.st, testSigner(t, here)); !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.sentinel)
		}
	}
}
