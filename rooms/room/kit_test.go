package room

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// Users of the test rooms: alice creates every room; dave and erin live on
// another server.
const (
	alice = "@alice:example.org"
	bob   = "@bob:example.org"
	carol = "@carol:example.org"
	dave  = "@dave:other.example"
	erin  = "@erin:other.example"

	here  = "example.org"
	there = "other.example"
)

// signers counts the signers made, so each gets its own randomness (two
// rooms made in one test must not get the same ID).
var signers atomic.Uint64

// testSigner is a server's signer with a key derived from its name and a
// deterministic stream of randomness.
func testSigner(t testing.TB, server string) Signer {
	t.Helper()
	var seed [32]byte
	copy(seed[:], server)
	key, err := signing.KeyFromSeed("ed25519:test", seed[:])
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint64(seed[24:], signers.Add(1))
	return Signer{ServerName: server, Key: key, Rand: rand.NewChaCha8(seed)}
}

// mustVersion looks a room version up or fails the test.
func mustVersion(t testing.TB, id version.ID) version.Spec {
	t.Helper()
	v, err := version.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// kit is a test room: the Room of example.org, every event it produced or
// received, and a clock.
type kit struct {
	t      testing.TB
	v      version.Spec
	room   *Room
	events stateres.EventMap
	now    int64
	// created holds the Effects of the room's creation.
	created []*Effects
}

// newKit creates a room of version id in one line: alice creates it with
// the given preset and the users listed join it (a public_chat lets them
// join; otherwise alice invites them first).
func newKit(t testing.TB, id version.ID, preset string, joiners ...string) *kit {
	t.Helper()
	return newKitWith(t, CreateParams{Version: mustVersion(t, id), Preset: preset}, joiners...)
}

// newKitWith is newKit with full creation parameters (Creator defaults to
// alice).
func newKitWith(t testing.TB, p CreateParams, joiners ...string) *kit {
	t.Helper()
	if p.Creator == "" {
		p.Creator = alice
	}
	k := &kit{t: t, v: p.Version, events: stateres.EventMap{}, now: 1_700_000_000_000}
	r, fx, err := Create(p, testSigner(t, here), k.now)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	k.room, k.created = r, fx
	for _, f := range fx {
		k.events.Add(f.Event)
	}
	for _, u := range joiners {
		if p.Preset != PresetPublicChat {
			k.propose(Invite(alice, u, MemberOptions{}))
		}
		k.propose(Join(u, MemberOptions{}))
	}
	return k
}

// try proposes p a millisecond after the previous event.
func (k *kit) try(p Proposal) (*Effects, error) {
	k.now++
	fx, err := k.room.Propose(p, k.now)
	if err == nil {
		k.events.Add(fx.Event)
	}
	return fx, err
}

// propose proposes p and fails the test if it is refused.
func (k *kit) propose(p Proposal) *Effects {
	k.t.Helper()
	fx, err := k.try(p)
	if err != nil {
		k.t.Fatalf("Propose %s %v by %s: %v", p.Type, p.StateKey, p.Sender, err)
	}
	return fx
}

// message is an m.room.message proposal.
func message(sender, body string) Proposal {
	return Proposal{Type: "m.room.message", Sender: sender, Content: mustMarshal(map[string]any{"msgtype": "m.text", "body": body})}
}

// state is a state proposal with JSON content.
func state(sender, typ, stateKey, content string) Proposal {
	return Proposal{Type: typ, StateKey: StateKeyOf(stateKey), Sender: sender, Content: []byte(content)}
}

// remote returns a second server's copy of the kit's room, loaded from the
// kit's current state, so tests can build remote events.
func (k *kit) remote(server string) *Room {
	k.t.Helper()
	var xs []*event.Event
	for _, id := range k.room.Extremities() {
		ev, err := k.events.Event(id)
		if err != nil {
			k.t.Fatal(err)
		}
		xs = append(xs, ev)
	}
	r, err := Load(Stored{RoomID: k.room.ID(), Version: k.v, State: k.room.StateEvents(), Extremities: xs}, testSigner(k.t, server))
	if err != nil {
		k.t.Fatalf("Load on %s: %v", server, err)
	}
	return r
}

// inbound wraps an event built elsewhere for Step, with its auth events
// and the state after its single prev_event taken from states.
func (k *kit) inbound(ev *event.Event, prevState map[event.StateKey]string) Inbound {
	k.t.Helper()
	var authEvents []*event.Event
	for _, id := range ev.AuthEvents {
		if a, err := k.events.Event(id); err == nil {
			authEvents = append(authEvents, a)
		}
	}
	return Inbound{Event: ev, AuthEvents: authEvents, PrevStates: []stateres.StateMap{prevState}, Events: k.events}
}

// wantErr checks err against a sentinel and, for authorisation refusals,
// that the message names the rule (a fragment of it).
func wantErr(t testing.TB, err, sentinel error, rule string) {
	t.Helper()
	if sentinel == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	if rule != "" {
		var ae *auth.Error
		if !errors.As(err, &ae) {
			t.Fatalf("error %v carries no *auth.Error", err)
		}
		if !strings.Contains(ae.Rule, rule) {
			t.Fatalf("refused by rule %q, want a rule containing %q (%v)", ae.Rule, rule, err)
		}
	}
}

// types lists the type (and state key, for state events) of each event.
func types(fx []*Effects) []string {
	out := make([]string, len(fx))
	for i, f := range fx {
		out[i] = f.Event.Type
		if f.Event.StateKey != nil && *f.Event.StateKey != "" {
			out[i] += "/" + *f.Event.StateKey
		}
	}
	return out
}

// errorsIs is errors.Is, for tests that do not otherwise import errors.
func errorsIs(err, target error) bool { return errors.Is(err, target) }
