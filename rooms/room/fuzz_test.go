package room

import (
	"errors"
	"testing"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
)

// FuzzPropose feeds arbitrary client input (event type, state key, content)
// to Propose in a fresh copy of a v11 room. Whatever comes in, Propose
// either refuses it with one of the package's sentinels, leaving the room as
// it was, or returns an event that parses back, passes the authorisation
// rules and is in the room's state.
func FuzzPropose(f *testing.F) {
	k := newKit(f, "11", PresetPublicChat, bob)
	stored := Stored{RoomID: k.room.ID(), Version: k.v, State: k.room.StateEvents(), Extremities: k.room.extremities}
	signer := testSigner(f, here)
	sentinels := []error{ErrBadJSON, ErrInvalidParam, ErrForbidden, ErrTooLarge, ErrNotLocal}
	f.Fuzz(func(t *testing.T, typ, stateKey string, isState, byAlice bool, content []byte) {
		r, err := Load(stored, signer)
		if err != nil {
			t.Fatal(err)
		}
		p := Proposal{Type: typ, Sender: bob, Content: content}
		if byAlice {
			p.Sender = alice
		}
		if isState {
			p.StateKey = &stateKey
		}
		fx, err := r.Propose(p, 1_800_000_000_000)
		if err != nil {
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			if len(r.extremities) != 1 || r.extremities[0] != stored.Extremities[0] {
				t.Fatalf("refused proposal changed the room")
			}
			return
		}
		again, err := event.Parse(fx.Event.Raw, k.v)
		if err != nil || again.ID != fx.Event.ID {
			t.Fatalf("accepted event does not parse back: %v", err)
		}
		if err := auth.CheckIndependent(fx.Event); err != nil {
			t.Fatalf("accepted event fails the independent checks: %v", err)
		}
		if isState && r.State(fx.Event.Key()) != fx.Event {
			t.Fatalf("accepted state event not in the state")
		}
	})
}
