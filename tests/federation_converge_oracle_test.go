package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// roomDAG is a room's event graph as the three servers hold it, fetched
// over federation, so that its state can be worked out here from the
// events alone, independently of any server's bookkeeping.
type roomDAG struct {
	v        version.Spec
	events   stateres.EventMap
	rejected map[string]bool
}

// Rejected tells state resolution which events the replay rejected
// (stateres.Rejections).
func (d *roomDAG) Rejected(id string) bool { return d.rejected[id] }

// Event serves the DAG's events to state resolution (stateres.Events).
func (d *roomDAG) Event(id string) (*event.Event, error) { return d.events.Event(id) }

// fetchDAG fetches the events seeds name, and every event their
// prev_events and auth_events reach, from whichever server of the trio
// has them (asked over federation by another member server).
func fetchDAG(t *testing.T, tr *trio, v version.Spec, seeds []string) *roomDAG {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d := &roomDAG{v: v, events: stateres.EventMap{}, rejected: map[string]bool{}}
	queue := slices.Clone(seeds)
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if _, ok := d.events[id]; ok {
			continue
		}
		ev, err := fetchPDU(ctx, tr, v, id)
		if err != nil {
			t.Fatalf("fetching %s for the state replay: %v", id, err)
		}
		d.events.Add(ev)
		queue = append(queue, ev.PrevEvents...)
		queue = append(queue, ev.AuthEvents...)
	}
	return d
}

// fetchPDU asks each server in turn, as another server of the trio, for
// the PDU id, and parses it under the room version.
func fetchPDU(ctx context.Context, tr *trio, v version.Spec, id string) (*event.Event, error) {
	names := []string{"hs-a.test", "hs-b.test", "hs-c.test"}
	var errs []error
	for i, holder := range names {
		asker := tr.srv[names[(i+1)%len(names)]]
		var got struct {
			PDUs []json.RawMessage `json:"pdus"`
		}
		if err := asker.FederationClient().Get(ctx, holder, "/_matrix/federation/v1/event/"+url.PathEscape(id), &got); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", holder, err))
			continue
		}
		if len(got.PDUs) != 1 {
			errs = append(errs, fmt.Errorf("%s: %d PDUs", holder, len(got.PDUs)))
			continue
		}
		ev, err := event.Parse(got.PDUs[0], v)
		if err != nil {
			return nil, fmt.Errorf("%s serves %s: %w", holder, id, err)
		}
		if ev.ID != id {
			return nil, fmt.Errorf("%s serves %s under ID %s", holder, id, ev.ID)
		}
		return ev, nil
	}
	return nil, fmt.Errorf("no server serves it: %v", errs)
}

// resolvedState replays the DAG from the create event: each event is
// checked against its auth events and against the state before it (the
// resolution of its prev_events' states, server-server-api "Checks
// performed on receipt of a PDU", steps 4 and 5), rejected events leave
// the state as it was, and the room's state is the resolution of the
// states after its forward extremities (the events no other event cites
// as a prev_event; rejected events are no extremities). It is what state resolution v2 / v2.1 says the room's
// current state is, given every event the servers exchanged.
func (d *roomDAG) resolvedState(t *testing.T) stateres.StateMap {
	t.Helper()
	after := map[string]stateres.StateMap{}
	cited := map[string]bool{}
	var create *event.Event
	for _, ev := range d.topological(t) {
		for _, p := range ev.PrevEvents {
			cited[p] = true
		}
		if ev.Type == event.TypeCreate && ev.IsState() && *ev.StateKey == "" {
			create = ev
		}
		before := d.resolve(t, ev.PrevEvents, after)
		if err := d.allowed(ev, create, before); err != nil {
			d.rejected[ev.ID] = true
			after[ev.ID] = before
			continue
		}
		if ev.IsState() {
			next := make(stateres.StateMap, len(before)+1)
			for k, id := range before {
				next[k] = id
			}
			next[ev.Key()] = ev.ID
			after[ev.ID] = next
		} else {
			after[ev.ID] = before
		}
	}
	var tips []string
	for id := range d.events {
		if !cited[id] && !d.rejected[id] {
			tips = append(tips, id)
		}
	}
	slices.Sort(tips)
	return d.resolve(t, tips, after)
}

// forks counts the events that more than one event cites as a prev_event:
// the places where servers wrote concurrently.
func (d *roomDAG) forks() int {
	children := map[string]int{}
	for _, ev := range d.events {
		for _, p := range ev.PrevEvents {
			children[p]++
		}
	}
	n := 0
	for _, c := range children {
		if c > 1 {
			n++
		}
	}
	return n
}

// allowed is the replay's verdict on one event.
func (d *roomDAG) allowed(ev, create *event.Event, before stateres.StateMap) error {
	var authEvs []*event.Event
	for _, id := range ev.AuthEvents {
		a, ok := d.events[id]
		if !ok || d.rejected[id] {
			return fmt.Errorf("auth event %s missing or rejected", id)
		}
		authEvs = append(authEvs, a)
	}
	if ev.Type != event.TypeCreate {
		if err := auth.CheckAuthEvents(ev, authEvs); err != nil {
			return err
		}
		c := create
		if c == nil {
			return fmt.Errorf("no create event before %s", ev.ID)
		}
		if err := auth.Allowed(ev, auth.StateFromAuthEvents(c, authEvs)); err != nil {
			return err
		}
	}
	state := auth.StateMap{}
	for k, id := range before {
		state[k] = d.events[id]
	}
	return auth.Allowed(ev, state)
}

// resolve is the state at the meeting of the given events' states.
func (d *roomDAG) resolve(t *testing.T, ids []string, after map[string]stateres.StateMap) stateres.StateMap {
	t.Helper()
	var sets []stateres.StateMap
	for _, id := range ids {
		s, ok := after[id]
		if !ok {
			t.Fatalf("state replay: %s is used before it was replayed", id)
		}
		sets = append(sets, s)
	}
	if len(sets) == 1 {
		return sets[0]
	}
	out, err := stateres.Resolve(d.v, sets, d)
	if err != nil {
		t.Fatalf("state replay: resolving %v: %v", ids, err)
	}
	return out
}

// topological orders the DAG so that every event follows its
// prev_events and auth_events; ties go by depth, then ID.
func (d *roomDAG) topological(t *testing.T) []*event.Event {
	t.Helper()
	indeg := map[string]int{}
	children := map[string][]string{}
	for id, ev := range d.events {
		parents := map[string]bool{}
		for _, p := range append(slices.Clone(ev.PrevEvents), ev.AuthEvents...) {
			parents[p] = true
		}
		indeg[id] += len(parents)
		for p := range parents {
			children[p] = append(children[p], id)
		}
	}
	var ready, out []*event.Event
	for id, n := range indeg {
		if n == 0 {
			ready = append(ready, d.events[id])
		}
	}
	less := func(a, b *event.Event) int {
		if a.Depth != b.Depth {
			return int(a.Depth - b.Depth)
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	}
	for len(ready) > 0 {
		slices.SortFunc(ready, less)
		ev := ready[0]
		ready = ready[1:]
		out = append(out, ev)
		for _, c := range children[ev.ID] {
			if indeg[c]--; indeg[c] == 0 {
				ready = append(ready, d.events[c])
			}
		}
	}
	if len(out) != len(d.events) {
		t.Fatalf("state replay: the room's graph has a cycle (%d of %d events ordered)", len(out), len(d.events))
	}
	return out
}
