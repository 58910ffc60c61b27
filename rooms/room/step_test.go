package room

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// remoteEvent builds an event as other.example would: prev_events as
// given, auth_events selected from state (slot → event ID, events from the
// kit), without any authorisation check, so tests can make events the rules
// refuse.
func (k *kit) remoteEvent(p Proposal, prev []string, st stateres.StateMap) *event.Event {
	k.t.Helper()
	needed, err := auth.EventsNeeded(k.v, p.Type, p.StateKey, p.Sender, p.Content)
	if err != nil {
		k.t.Fatal(err)
	}
	var authIDs []string
	for _, key := range needed {
		if id, ok := st[key]; ok {
			authIDs = append(authIDs, id)
		}
	}
	var depth int64
	for _, id := range prev {
		ev, err := k.events.Event(id)
		if err != nil {
			k.t.Fatal(err)
		}
		depth = max(depth, ev.Depth)
	}
	s := testSigner(k.t, there)
	k.now++
	proto := &event.Proto{
		RoomID: k.room.ID(), Type: p.Type, StateKey: p.StateKey, Sender: p.Sender, Content: p.Content,
		PrevEvents: prev, AuthEvents: authIDs, Depth: depth + 1, OriginServerTS: k.now, Rand: s.Rand,
	}
	if k.v.Format == version.FormatV1 {
		proto.ReferenceHashes = map[string][32]byte{}
		for _, id := range append(slices.Clone(prev), authIDs...) {
			ev, err := k.events.Event(id)
			if err != nil {
				k.t.Fatal(err)
			}
			if proto.ReferenceHashes[id], err = event.ReferenceHash(ev.Raw, k.v); err != nil {
				k.t.Fatal(err)
			}
		}
	}
	ev, err := proto.Build(k.v, there, s.Key)
	if err != nil {
		k.t.Fatal(err)
	}
	return ev
}

// step delivers a remote event whose single prev_event had state st.
func (k *kit) step(ev *event.Event, st stateres.StateMap) *Effects {
	k.t.Helper()
	fx, err := k.room.Step(k.inbound(ev, st))
	if err != nil {
		k.t.Fatalf("Step %s: %v", ev.Type, err)
	}
	k.events.Add(ev)
	return fx
}

// joinDave lets dave join through other.example and returns the state
// after his join.
func (k *kit) joinDave() stateres.StateMap {
	k.t.Helper()
	st := k.room.stateSnapshot()
	join := k.remoteEvent(Join(dave, MemberOptions{}), k.room.Extremities(), st)
	if fx := k.step(join, st); fx.Outcome != Accepted {
		k.t.Fatalf("dave's join: %v %v", fx.Outcome, fx.Reason)
	}
	return k.room.stateSnapshot()
}

func TestStepAccepted(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			st := k.room.stateSnapshot()
			join := k.remoteEvent(Join(dave, MemberOptions{}), k.room.Extremities(), st)
			fx := k.step(join, st)
			if fx.Outcome != Accepted || fx.Reason != nil {
				t.Fatalf("outcome %v: %v", fx.Outcome, fx.Reason)
			}
			key := event.StateKey{Type: event.TypeMember, StateKey: dave}
			if !slices.Equal(fx.StateDelta, []StateChange{{Key: key, New: join.ID}}) {
				t.Errorf("delta %v", fx.StateDelta)
			}
			if !slices.Equal(fx.Memberships, []MembershipChange{{dave, "leave", "join"}}) {
				t.Errorf("memberships %v", fx.Memberships)
			}
			if fx.EventState != nil {
				t.Errorf("event state %v: the current state is the event's state", fx.EventState)
			}
			if got := k.room.stateSnapshot(); got[key] != join.ID || len(got) != len(st)+1 {
				t.Errorf("current state %v", got)
			}
			if !slices.Equal(fx.Extremities, []string{join.ID}) {
				t.Errorf("extremities %v", fx.Extremities)
			}
			msg := k.remoteEvent(message(dave, "hello"), k.room.Extremities(), k.room.stateSnapshot())
			fx = k.step(msg, k.room.stateSnapshot())
			if fx.Outcome != Accepted || fx.StateDelta != nil || !slices.Equal(fx.Extremities, []string{msg.ID}) {
				t.Errorf("message: %+v", fx)
			}
			// An event citing the extremity and an older event: the state
			// before it is resolved from both and replaces the current state.
			create := k.created[0].Event
			older := k.remoteEvent(message(dave, "late"), []string{msg.ID, create.ID}, k.room.stateSnapshot())
			in := k.inbound(older, nil)
			in.PrevStates = []stateres.StateMap{k.room.stateSnapshot(), {keyCreate: create.ID}}
			fx, err := k.room.Step(in)
			if err != nil || fx.Outcome != Accepted || fx.StateDelta != nil || !slices.Equal(fx.Extremities, []string{older.ID}) {
				t.Errorf("event with an older prev_event: %v %+v", err, fx)
			}
		})
	}
}

func TestStepRejected(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPrivateChat, bob)
			st := k.room.stateSnapshot()
			before := k.room.Extremities()
			tests := []struct {
				name string
				ev   *event.Event
				rule string
			}{
				{"join an invite-only room", k.remoteEvent(Join(dave, MemberOptions{}), before, st), "member/join"},
				{"message by a non-member", k.remoteEvent(message(dave, "spam"), before, st), "sender"},
				{"rename by a non-member", k.remoteEvent(state(dave, event.TypeName, "", `{"name":"x"}`), before, st), ""},
			}
			for _, tc := range tests {
				fx := k.step(tc.ev, st)
				if fx.Outcome != Rejected {
					t.Errorf("%s: outcome %v", tc.name, fx.Outcome)
					continue
				}
				var ae *auth.Error
				if !errors.As(fx.Reason, &ae) {
					t.Errorf("%s: reason %v is not an *auth.Error", tc.name, fx.Reason)
				} else if tc.rule != "" && !strings.Contains(ae.Rule, tc.rule) {
					t.Errorf("%s: rule %q, want %q", tc.name, ae.Rule, tc.rule)
				}
				if fx.StateDelta != nil || fx.Extremities != nil || !slices.Equal(k.room.Extremities(), before) {
					t.Errorf("%s: a rejected event changed the room", tc.name)
				}
			}
			// Auth events that do not authorise the event: dave's message
			// citing no membership is rejected even if the state would allow it.
			k2 := newKit(t, v, PresetPublicChat)
			k2.joinDave()
			msg := k2.remoteEvent(message(dave, "hi"), k2.room.Extremities(), stateres.StateMap{})
			if fx := k2.step(msg, k2.room.stateSnapshot()); fx.Outcome != Rejected {
				t.Errorf("event with bad auth_events: %v", fx.Outcome)
			}
		})
	}
}

// TestStepSoftFail: dave's server, unaware that alice banned dave, sends a
// message on top of the state before the ban. It passes its auth events and
// the state before it but not the current state.
func TestStepSoftFail(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat)
			st := k.joinDave()
			prev := k.room.Extremities()
			ban := k.propose(Ban(alice, dave, "spam"))
			msg := k.remoteEvent(message(dave, "I'm still here"), prev, st)
			fx := k.step(msg, st)
			if fx.Outcome != SoftFailed || fx.Reason == nil {
				t.Fatalf("outcome %v (%v), want soft-failed", fx.Outcome, fx.Reason)
			}
			if fx.EventState == nil || fx.EventState[event.StateKey{Type: event.TypeMember, StateKey: dave}] != st[event.StateKey{Type: event.TypeMember, StateKey: dave}] {
				t.Errorf("soft-failed event state %v: want the state before the ban", fx.EventState)
			}
			if !slices.Equal(k.room.Extremities(), []string{ban.Event.ID}) || fx.StateDelta != nil {
				t.Errorf("a soft-failed event moved the room: extremities %v", k.room.Extremities())
			}
		})
	}
}

// TestStepFork: dave changes his display name on a fork while alice renames
// the room; both extremities stay and the current state holds both changes.
// A remote event then merges the fork, and the next local event cites it.
func TestStepFork(t *testing.T) {
	for _, v := range []version.ID{"2", "11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat)
			st := k.joinDave()
			base := k.room.Extremities()
			rename := k.propose(state(alice, event.TypeName, "", `{"name":"Pub"}`))
			afterRename := k.room.stateSnapshot()

			profile := k.remoteEvent(Join(dave, MemberOptions{DisplayName: "Dave"}), base, st)
			fx := k.step(profile, st)
			if fx.Outcome != Accepted {
				t.Fatalf("fork event %v: %v", fx.Outcome, fx.Reason)
			}
			if !sameSet(fx.Extremities, []string{rename.Event.ID, profile.ID}) {
				t.Errorf("extremities %v", fx.Extremities)
			}
			memberKey := event.StateKey{Type: event.TypeMember, StateKey: dave}
			if !slices.Equal(fx.StateDelta, []StateChange{{Key: memberKey, Old: st[memberKey], New: profile.ID}}) {
				t.Errorf("delta %v", fx.StateDelta)
			}
			if fx.Memberships != nil {
				t.Errorf("profile change reported a membership change: %v", fx.Memberships)
			}
			if k.room.State(event.StateKey{Type: event.TypeName}) != rename.Event {
				t.Errorf("the fork lost the rename")
			}
			if _, ok := fx.EventState[event.StateKey{Type: event.TypeName}]; ok {
				t.Errorf("the state after the fork event has the rename")
			}
			afterProfile := fx.EventState

			merge := k.remoteEvent(message(dave, "merged"), k.room.Extremities(), k.room.stateSnapshot())
			in := k.inbound(merge, nil)
			in.PrevStates = []stateres.StateMap{afterRename, afterProfile}
			mfx, err := k.room.Step(in)
			if err != nil || mfx.Outcome != Accepted {
				t.Fatalf("merge: %v %v %v", err, mfx.Outcome, mfx.Reason)
			}
			k.events.Add(merge)
			if !slices.Equal(mfx.Extremities, []string{merge.ID}) || mfx.StateDelta != nil {
				t.Errorf("merge effects %+v", mfx)
			}
			next := k.propose(message(alice, "after the merge"))
			if !slices.Equal(next.Event.PrevEvents, []string{merge.ID}) {
				t.Errorf("prev_events %v", next.Event.PrevEvents)
			}
		})
	}
}

func TestStepBadInput(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat)
	other := newKitWith(t, CreateParams{Version: k.v, CreationContent: []byte(`{"n":2}`)})
	msg := other.propose(message(alice, "elsewhere")).Event
	if _, err := k.room.Step(Inbound{Event: msg}); !errors.Is(err, ErrWrongRoom) {
		t.Errorf("event of another room: %v", err)
	}
	st := k.room.stateSnapshot()
	ev := k.remoteEvent(Join(dave, MemberOptions{}), k.room.Extremities(), st)
	in := k.inbound(ev, st)
	in.PrevStates = nil
	if _, err := k.room.Step(in); !errors.Is(err, ErrMissingState) {
		t.Errorf("no prev states: %v", err)
	}
	if _, err := k.room.Step(Inbound{Event: k.created[0].Event}); !errors.Is(err, ErrKnownEvent) {
		t.Errorf("the room's own create event again: %v", err)
	}
	s := testSigner(t, there)
	second, err := (&event.Proto{RoomID: k.room.ID(), Type: event.TypeCreate, StateKey: StateKeyOf(""), Sender: dave,
		Content: []byte(`{"room_version":"11"}`), Depth: 1, OriginServerTS: 1}).Build(k.v, there, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	if fx, err := k.room.Step(Inbound{Event: second}); err != nil || fx.Outcome != Rejected {
		t.Errorf("a second create event: %v %+v", err, fx)
	}
	fx := k.step(ev, st)
	if _, err := k.room.Step(k.inbound(ev, st)); !errors.Is(err, ErrKnownEvent) || fx.Outcome != Accepted {
		t.Errorf("an applied event again: %v", err)
	}
}

// TestStepAfterGap: erin joined on dave's server in history this server
// missed; her message arrives with the state fetched at its prev_event.
// Checked against the current state alone it would be soft-failed (erin
// is no member here); after a gap the current state for that check is
// resolved with the state before the event, so it is accepted and erin's
// join enters the current state. A ban this server knows of still wins.
func TestStepAfterGap(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				afterGap bool
				banErin  bool
				want     Outcome
			}{
				{"after a gap", true, false, Accepted},
				{"not marked as after a gap", false, false, SoftFailed},
				{"after a gap, erin banned here", true, true, SoftFailed},
			} {
				t.Run(tc.name, func(t *testing.T) {
					k := newKit(t, v, PresetPublicChat)
					st := k.joinDave()
					join := k.remoteEvent(Join(erin, MemberOptions{}), k.room.Extremities(), st)
					k.events.Add(join)
					gapState := maps.Clone(st)
					gapState[join.Key()] = join.ID
					if tc.banErin {
						k.propose(Ban(alice, erin, "spam"))
					}
					msg := k.remoteEvent(message(erin, "hello after the gap"), []string{join.ID}, gapState)
					in := k.inbound(msg, gapState)
					in.AfterGap = tc.afterGap
					fx, err := k.room.Step(in)
					if err != nil {
						t.Fatal(err)
					}
					if fx.Outcome != tc.want {
						t.Fatalf("outcome %v (%v), want %v", fx.Outcome, fx.Reason, tc.want)
					}
					if tc.want == Accepted && k.room.Membership(erin) != event.MembershipJoin {
						t.Errorf("erin's membership after the step: %q", k.room.Membership(erin))
					}
				})
			}
		})
	}
}
