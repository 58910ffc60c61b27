package room

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// benchRoom is a public room of version v with alice and 99 more joined
// members, 10 of them on other.example.
func benchRoom(b *testing.B, v version.ID) *kit {
	b.Helper()
	k := newKit(b, v, PresetPublicChat)
	for i := range 89 {
		k.propose(Join(fmt.Sprintf("@user%02d:example.org", i), MemberOptions{}))
	}
	for i := range 10 {
		st := k.room.stateSnapshot()
		user := fmt.Sprintf("@remote%02d:other.example", i)
		join := k.remoteEvent(Join(user, MemberOptions{}), k.room.Extremities(), st)
		if fx := k.step(join, st); fx.Outcome != Accepted {
			b.Fatalf("remote join: %v", fx.Reason)
		}
	}
	if n := len(k.room.Joined()); n != 100 {
		b.Fatalf("%d members", n)
	}
	return k
}

// BenchmarkProposeMessage is one m.room.message into a room with 100
// members: build, hash, sign, authorise and apply, and the Effects.
func BenchmarkProposeMessage(b *testing.B) {
	for _, v := range []version.ID{"11", "12"} {
		b.Run("v"+string(v), func(b *testing.B) {
			k := benchRoom(b, v)
			p := message("@user42:example.org", "The quick brown fox jumps over the lazy dog")
			now := k.now
			b.ReportAllocs()
			for b.Loop() {
				now++
				fx, err := k.room.Propose(p, now)
				if err != nil {
					b.Fatal(err)
				}
				if len(fx.Destinations) != 1 {
					b.Fatalf("destinations %v", fx.Destinations)
				}
			}
		})
		// The same event built and signed by rooms/event alone, without
		// the room core (auth events, authorisation, state, effects): the
		// difference to the run above is the room core's own cost.
		b.Run("v"+string(v)+"-build-only", func(b *testing.B) {
			k := benchRoom(b, v)
			p := message("@user42:example.org", "The quick brown fox jumps over the lazy dog")
			proto, err := k.room.build(&p, k.now)
			if err != nil {
				b.Fatal(err)
			}
			pr := event.Proto{
				RoomID: k.room.ID(), Type: p.Type, Sender: p.Sender, Content: p.Content,
				PrevEvents: proto.PrevEvents, AuthEvents: proto.AuthEvents, Depth: proto.Depth,
			}
			s := k.room.signer
			b.ReportAllocs()
			for b.Loop() {
				pr.OriginServerTS++
				if _, err := pr.Build(k.v, s.ServerName, s.Key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProposeState is a state change (the room name) in the same room,
// for comparison with a message.
func BenchmarkProposeState(b *testing.B) {
	k := benchRoom(b, "11")
	p := state(alice, "m.room.name", "", `{"name":"Bench"}`)
	now := k.now
	b.ReportAllocs()
	for b.Loop() {
		now++
		if _, err := k.room.Propose(p, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStepMessage is one remote m.room.message, already checked for
// format and signatures, applied to a room with 100 members: the checks
// against its auth events, the state before it and the current state, and
// the Effects. The events are built beforehand as a chain.
func BenchmarkStepMessage(b *testing.B) {
	k := benchRoom(b, "11")
	remote := k.remote(there)
	evs := make([]*event.Event, b.N)
	for i := range evs {
		fx, err := remote.Propose(message("@remote03:other.example", "hello from afar"), k.now+int64(i))
		if err != nil {
			b.Fatal(err)
		}
		evs[i] = fx.Event
	}
	st := k.room.stateSnapshot()
	authEvents := make([]*event.Event, 0, 3)
	for _, id := range evs[0].AuthEvents {
		a, err := k.events.Event(id)
		if err != nil {
			b.Fatal(err)
		}
		authEvents = append(authEvents, a)
	}
	in := Inbound{AuthEvents: authEvents, PrevStates: []stateres.StateMap{st}, Events: k.events}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.Event = evs[i]
		fx, err := k.room.Step(in)
		if err != nil || fx.Outcome != Accepted {
			b.Fatalf("step %d: %v %v", i, err, fx.Reason)
		}
	}
}
