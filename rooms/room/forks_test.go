package room

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// plWith is the room's current power levels content with changes applied.
func (k *kit) plWith(change func(c map[string]any)) string {
	k.t.Helper()
	var c map[string]any
	if err := json.Unmarshal(k.room.State(event.StateKey{Type: event.TypePowerLevels}).Content, &c); err != nil {
		k.t.Fatal(err)
	}
	change(c)
	return string(mustMarshal(c))
}

// threeForks builds a room forked three ways from one event: the local
// fork raises the ban level and sets a topic, the first remote fork sets
// another topic, and the second remote fork, newest, raises the kick
// level. Resolving all three at once, the second fork's power levels
// make a mainline on which both topics sit at the same place, so the newer
// topic (the first remote fork's) wins; resolving the first two forks
// first picks the local topic, since the local power levels are then on
// the mainline, and the third fork has no topic to bring back.
func threeForks(t *testing.T, v version.ID) (k *kit, baseState, local, fork1, fork2 stateres.StateMap, ev1, ev2 *event.Event) {
	k = newKit(t, v, PresetPublicChat)
	k.joinDave()
	k.propose(state(alice, event.TypePowerLevels, "", k.plWith(func(c map[string]any) {
		c["users"].(map[string]any)[dave] = 100
	})))
	base := k.room.Extremities()
	baseState = k.room.stateSnapshot()
	k.propose(state(alice, event.TypePowerLevels, "", k.plWith(func(c map[string]any) { c["ban"] = 60 })))
	k.propose(state(alice, event.TypeTopic, "", `{"topic":"local"}`))
	local = k.room.stateSnapshot()
	ev1 = k.remoteEvent(state(dave, event.TypeTopic, "", `{"topic":"remote"}`), base, baseState)
	ev2 = k.remoteEvent(state(dave, event.TypePowerLevels, "", k.plWith(func(c map[string]any) {
		c["ban"], c["kick"] = 50, 60
	})), base, baseState)
	fork1, fork2 = maps.Clone(baseState), maps.Clone(baseState)
	fork1[ev1.Key()], fork2[ev2.Key()] = ev1.ID, ev2.ID
	return k, baseState, local, fork1, fork2, ev1, ev2
}

// A room forked three ways has the state that resolving the three forks
// together gives, which is not what resolving them two at a time gives.
func TestStepResolvesEveryForkTogether(t *testing.T) {
	for _, v := range []version.ID{"10", "11"} {
		t.Run(string(v), func(t *testing.T) {
			k, baseState, local, fork1, fork2, ev1, ev2 := threeForks(t, v)
			for _, ev := range []*event.Event{ev1, ev2} {
				if fx := k.step(ev, baseState); fx.Outcome != Accepted {
					t.Fatalf("fork %s: %v %v", ev.ID, fx.Outcome, fx.Reason)
				}
			}
			want, err := stateres.Resolve(k.v, []stateres.StateMap{local, fork1, fork2}, k.events)
			if err != nil {
				t.Fatal(err)
			}
			pairwise, err := stateres.Resolve(k.v, []stateres.StateMap{local, fork1}, k.events)
			if err == nil {
				pairwise, err = stateres.Resolve(k.v, []stateres.StateMap{pairwise, fork2}, k.events)
			}
			if err != nil {
				t.Fatal(err)
			}
			topic := event.StateKey{Type: event.TypeTopic}
			if want[topic] != ev1.ID || pairwise[topic] == ev1.ID {
				t.Fatalf("the scenario no longer tells the two apart: together %s, pairwise %s", want[topic], pairwise[topic])
			}
			if got := k.room.stateSnapshot(); !maps.Equal(got, want) {
				t.Errorf("topic %s, power levels %s; resolving the three forks gives %s, %s",
					got[topic], got[keyPL], want[topic], want[keyPL])
			}
			if len(k.room.Extremities()) != 3 {
				t.Errorf("extremities %v", k.room.Extremities())
			}
		})
	}
}

var keyPL = event.StateKey{Type: event.TypePowerLevels}

// A Room loaded with several extremities asks for the states after them
// when a new fork arrives, and cannot resolve it without them.
func TestStepForkAfterLoad(t *testing.T) {
	k, baseState, local, fork1, fork2, ev1, ev2 := threeForks(t, "11")
	k.step(ev1, baseState)
	states := map[string]stateres.StateMap{ev1.ID: fork1}
	for _, id := range k.room.Extremities() {
		if id != ev1.ID {
			states[id] = local
		}
	}
	loaded := k.remote(here)

	in := k.inbound(ev2, baseState)
	if _, err := loaded.Step(in); !errors.Is(err, ErrMissingState) {
		t.Fatalf("a fork without the extremities' states: %v", err)
	}
	var asked []string
	in.StateAfter = func(id string) (stateres.StateMap, error) {
		asked = append(asked, id)
		s, ok := states[id]
		if !ok {
			return nil, stateres.ErrMissingEvent
		}
		return s, nil
	}
	fx, err := loaded.Step(in)
	if err != nil || fx.Outcome != Accepted {
		t.Fatalf("fork after load: %v %+v", err, fx)
	}
	if len(asked) != 2 {
		t.Errorf("asked for the states after %v, want both extremities", asked)
	}
	k.events.Add(ev2)
	want, err := stateres.Resolve(k.v, []stateres.StateMap{local, fork1, fork2}, k.events)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.stateSnapshot(); !maps.Equal(got, want) {
		t.Errorf("state after the fork is not the resolution of the three forks")
	}
}

// dave joins on one fork while erin, on another, makes the room
// invite-only: state resolution applies the join rule first and refuses
// the join, so the resolved state has no member event for dave at all,
// and the Room drops the slot it had filled.
func TestStepForkEmptiesLosingSlot(t *testing.T) {
	for _, v := range []version.ID{"10", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat)
			st := k.room.stateSnapshot()
			if fx := k.step(k.remoteEvent(Join(erin, MemberOptions{}), k.room.Extremities(), st), st); fx.Outcome != Accepted {
				t.Fatalf("erin's join: %v %v", fx.Outcome, fx.Reason)
			}
			k.propose(state(alice, event.TypePowerLevels, "", k.plWith(func(c map[string]any) {
				c["users"].(map[string]any)[erin] = 100
			})))
			base, baseState := k.room.Extremities(), k.room.stateSnapshot()
			join := k.remoteEvent(Join(dave, MemberOptions{}), base, baseState)
			if fx := k.step(join, baseState); fx.Outcome != Accepted {
				t.Fatalf("dave's join: %v %v", fx.Outcome, fx.Reason)
			}
			rule := k.remoteEvent(state(erin, event.TypeJoinRules, "", `{"join_rule":"invite"}`), base, baseState)
			fx := k.step(rule, baseState)
			if fx.Outcome != Accepted {
				t.Fatalf("join rule: %v %v", fx.Outcome, fx.Reason)
			}
			afterJoin, afterRule := maps.Clone(baseState), maps.Clone(baseState)
			afterJoin[join.Key()], afterRule[rule.Key()] = join.ID, rule.ID
			want, err := stateres.Resolve(k.v, []stateres.StateMap{afterJoin, afterRule}, k.events)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := want[join.Key()]; ok {
				t.Fatalf("the scenario no longer drops the join: %v", want[join.Key()])
			}
			if got := k.room.stateSnapshot(); !maps.Equal(got, want) {
				t.Errorf("member slot %q, join rule %q; resolved: %q, %q", got[join.Key()], got[rule.Key()], want[join.Key()], want[rule.Key()])
			}
			if m := k.room.Membership(dave); m != event.MembershipLeave {
				t.Errorf("dave's membership %q", m)
			}
			if !slices.Contains(fx.StateDelta, StateChange{Key: join.Key(), Old: join.ID}) {
				t.Errorf("delta %v does not empty dave's slot", fx.StateDelta)
			}
			if !slices.Contains(fx.Memberships, MembershipChange{UserID: dave, Old: event.MembershipJoin, New: event.MembershipLeave}) {
				t.Errorf("memberships %v", fx.Memberships)
			}
		})
	}
}
