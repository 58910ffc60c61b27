package room

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// linearStateBefore is the state before history[i] of a history without
// forks: the last state event of each slot before it.
func linearStateBefore(history []*event.Event, i int) stateres.StateMap {
	st := stateres.StateMap{}
	for _, ev := range history[:i] {
		if ev.IsState() {
			st[ev.Key()] = ev.ID
		}
	}
	return st
}

// linearStates answers BackfillFetchState from a linear history: the
// state before each event asked about, and the events it names that are
// not held, oldest first.
func linearStates(history []*event.Event) BackfillFetchState {
	return func(_ context.Context, _, _ string, _ version.Spec, _ *event.Event, at []*event.Event,
		held func(string) (*event.Event, bool, error)) (BackfillStates, error) {
		out := BackfillStates{States: map[string]stateres.StateMap{}}
		need := map[string]bool{}
		for _, ev := range at {
			i := slices.IndexFunc(history, func(e *event.Event) bool { return e.ID == ev.ID })
			if i < 0 {
				continue
			}
			st := linearStateBefore(history, i)
			out.States[ev.ID] = st
			for _, id := range st {
				if _, ok, _ := held(id); !ok {
					need[id] = true
				}
			}
		}
		for _, ev := range history {
			if need[ev.ID] {
				out.Events = append(out.Events, ev)
			}
		}
		return out, nil
	}
}

// stateAt stores the events of the state before history[i] as outliers
// and returns that state for PlaceBackfilledAt, as the Backfiller does
// for the oldest event of an answer.
func stateAt(t *testing.T, d *Directory, history []*event.Event, i int) map[string]stateres.StateMap {
	t.Helper()
	st := linearStateBefore(history, i)
	var outs []Outlier
	for _, ev := range history[:i] {
		if slices.Contains(slices.Collect(maps.Values(st)), ev.ID) {
			outs = append(outs, Outlier{Event: ev})
		}
	}
	if err := d.StoreOutliers(ctxT(t), history[i].RoomID, outs); err != nil {
		t.Fatal(err)
	}
	return map[string]stateres.StateMap{history[i].ID: st}
}

// visibilityHistory is a remote room whose history_visibility is
// "joined" for a stretch of messages, then "shared" for more, and which
// erin joins at the end.
func visibilityHistory(t *testing.T) (history []*event.Event, join *event.Event, before []*event.Event) {
	t.Helper()
	spec, _ := version.Lookup("11")
	s := remoteSigner(t)
	r, effs, err := core.Create(core.CreateParams{Creator: carol, Version: spec, Preset: core.PresetPublicChat}, s, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range effs {
		history = append(history, e.Event)
	}
	propose := func(p core.Proposal) {
		eff, err := r.Propose(p, 2000+int64(len(history)))
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, eff.Event)
	}
	hv := func(v string) {
		propose(core.Proposal{Type: event.TypeHistoryVisibility, StateKey: core.StateKeyOf(""), Sender: carol,
			Content: json.RawMessage(`{"history_visibility":"` + v + `"}`)})
	}
	msg := func(body string) {
		propose(core.Proposal{Type: "m.room.message", Sender: carol, Content: json.RawMessage(`{"body":"` + body + `"}`)})
	}
	hv("joined")
	msg("j1")
	msg("j2")
	hv("shared")
	msg("s1")
	msg("s2")
	before = r.StateEvents()
	var auth []string
	for _, ev := range before {
		if ev.Type == event.TypeCreate || ev.Type == event.TypePowerLevels || ev.Type == event.TypeJoinRules {
			auth = append(auth, ev.ID)
		}
	}
	e := erin
	last := history[len(history)-1]
	join, err = (&event.Proto{RoomID: r.ID(), Type: event.TypeMember, StateKey: &e, Sender: erin, Content: json.RawMessage(`{"membership":"join"}`),
		PrevEvents: []string{last.ID}, AuthEvents: auth, Depth: last.Depth + 1, OriginServerTS: 3000}).Build(spec, "remote.org", s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return history, join, before
}

// bodyOf reads content.body.
func bodyOf(ev *event.Event) string {
	var c struct {
		Body string `json:"body"`
	}
	_ = json.Unmarshal(ev.Content, &c)
	return c.Body
}

// The state of backfilled history is computed forwards from the state
// before its oldest event: a history_visibility change that no later
// event cites as an auth event still holds its slot before the messages
// it governs, where deriving the state backwards from the join would
// leave the slot empty (and read as "shared").
func TestPlaceBackfilledComputesStateForwards(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	history, join, before := visibilityHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	// The newest three (the "shared" change and two messages) first,
	// with the state before the oldest of them as /state_ids gives it.
	first := len(history) - 3
	res, err := d.PlaceBackfilledAt(ctxT(t), join.RoomID, history[first:], stateAt(t, d, history, first))
	if err != nil || res.Placed != 3 {
		t.Fatalf("newest three: %+v %v", res, err)
	}
	res, err = d.PlaceBackfilled(ctxT(t), join.RoomID, history[:first])
	if err != nil || res.Placed != first || len(res.Extremities) != 0 {
		t.Fatalf("the rest: %+v %v", res, err)
	}
	want := map[string]string{"j1": "joined", "j2": "joined", "s1": "shared", "s2": "shared"}
	for _, ev := range history {
		body := bodyOf(ev)
		if want[body] == "" {
			continue
		}
		rec, err := st.EventByID(ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := st.StateBefore(rec)
		if err != nil {
			t.Fatal(err)
		}
		hv, err := st.StateEvent(s, event.TypeHistoryVisibility, "")
		if err != nil || hv == nil {
			t.Fatalf("%s: no history_visibility in the state before it (%v)", body, err)
		}
		hvEv, _ := hv.Event()
		var c struct {
			V string `json:"history_visibility"`
		}
		_ = json.Unmarshal(hvEv.Content, &c)
		if c.V != want[body] {
			t.Fatalf("%s: history_visibility %q before it, want %q", body, c.V, want[body])
		}
		if len(s) != len(linearStateBefore(history, slices.Index(history, ev))) {
			t.Fatalf("%s: %d slots in the state before it, want %d", body, len(s), len(linearStateBefore(history, slices.Index(history, ev))))
		}
	}
}

// Without the state before the oldest event of a stretch, nothing of the
// stretch is placed: no history under a guessed state. The backward
// extremity stays, so that a later backfill can try again.
func TestPlaceBackfilledLeavesOutUnknownState(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	history, join, before := visibilityHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	first := len(history) - 3
	res, err := d.PlaceBackfilled(ctxT(t), join.RoomID, history[first:])
	if err != nil || res.Placed != 0 || len(res.Extremities) != 1 || res.Extremities[0].EventID != join.ID {
		t.Fatalf("without a state: %+v %v", res, err)
	}
	for _, ev := range history[first:] {
		if rec, err := st.EventByID(ev.ID); err == nil && !rec.Outlier {
			t.Fatalf("%s placed without a state", ev.ID)
		}
	}
}

// Backfilled events go into the relations index: /relations and thread
// summaries count them.
func TestPlaceBackfilledIndexesRelations(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	history, join, before := visibilityHistory(t)
	spec, _ := version.Lookup("11")
	root := history[len(history)-1]
	var auth []string
	for _, ev := range before {
		if ev.Type == event.TypeCreate || ev.Type == event.TypePowerLevels || (ev.Type == event.TypeMember && *ev.StateKey == carol) {
			auth = append(auth, ev.ID)
		}
	}
	reply, err := (&event.Proto{RoomID: join.RoomID, Type: "m.room.message", Sender: carol, Depth: root.Depth + 1, OriginServerTS: 2999,
		Content:    json.RawMessage(`{"body":"in thread","m.relates_to":{"rel_type":"m.thread","event_id":"` + root.ID + `"}}`),
		PrevEvents: []string{root.ID}, AuthEvents: auth}).Build(spec, "remote.org", remoteSigner(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	history = append(history, reply)
	e := erin
	join, err = (&event.Proto{RoomID: join.RoomID, Type: event.TypeMember, StateKey: &e, Sender: erin, Content: json.RawMessage(`{"membership":"join"}`),
		PrevEvents: []string{reply.ID}, AuthEvents: join.AuthEvents, Depth: reply.Depth + 1, OriginServerTS: 3000}).Build(spec, "remote.org", remoteSigner(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.PlaceBackfilled(ctxT(t), join.RoomID, history); err != nil || res.Placed != len(history) {
		t.Fatalf("%+v %v", res, err)
	}
	rels, err := st.Relations(root.ID, "m.thread", 0, true, 10)
	if err != nil || len(rels) != 1 {
		t.Fatalf("relations of the thread root: %+v %v", rels, err)
	}
	rec, err := st.EventByNID(rels[0].ChildNID)
	if err != nil || rec.EventID != reply.ID {
		t.Fatalf("the thread's child: %+v %v", rec, err)
	}
}

// A fork in backfilled history: the state before the event that merges
// two branches is the resolution of the states after them (rooms v1
// "the resolution of the set of states after the prev_events"), computed
// with the room version's algorithm.
func TestPlaceBackfilledResolvesForks(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	history, _, before := visibilityHistory(t)
	spec, _ := version.Lookup("11")
	key := remoteSigner(t).Key
	var auth []string
	for _, ev := range before {
		if ev.Type == event.TypeCreate || ev.Type == event.TypePowerLevels || (ev.Type == event.TypeMember && *ev.StateKey == carol) {
			auth = append(auth, ev.ID)
		}
	}
	base := history[len(history)-1]
	build := func(typ string, sk *string, content string, prev []string, depth, ts int64) *event.Event {
		ev, err := (&event.Proto{RoomID: base.RoomID, Type: typ, StateKey: sk, Sender: carol, Content: json.RawMessage(content),
			PrevEvents: prev, AuthEvents: auth, Depth: depth, OriginServerTS: ts}).Build(spec, "remote.org", key)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	empty := ""
	topicA := build("m.room.topic", &empty, `{"topic":"a"}`, []string{base.ID}, base.Depth+1, 5000)
	hvB := build(event.TypeHistoryVisibility, &empty, `{"history_visibility":"joined"}`, []string{base.ID}, base.Depth+1, 5001)
	topicB := build("m.room.topic", &empty, `{"topic":"b"}`, []string{hvB.ID}, base.Depth+2, 5002)
	merge := build("m.room.message", nil, `{"body":"merge"}`, []string{topicA.ID, topicB.ID}, base.Depth+3, 5003)
	e := erin
	joinAuth := []string{}
	for _, ev := range before {
		if ev.Type == event.TypeCreate || ev.Type == event.TypePowerLevels || ev.Type == event.TypeJoinRules {
			joinAuth = append(joinAuth, ev.ID)
		}
	}
	join, err := (&event.Proto{RoomID: base.RoomID, Type: event.TypeMember, StateKey: &e, Sender: erin, Content: json.RawMessage(`{"membership":"join"}`),
		PrevEvents: []string{merge.ID}, AuthEvents: joinAuth, Depth: merge.Depth + 1, OriginServerTS: 6000}).Build(spec, "remote.org", key)
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(history), topicA, hvB, topicB, merge)
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.PlaceBackfilled(ctxT(t), base.RoomID, all); err != nil || res.Placed != len(all) {
		t.Fatalf("%+v %v", res, err)
	}

	after := func(evs []*event.Event) stateres.StateMap { return linearStateBefore(evs, len(evs)) }
	branchA := append(slices.Clone(history), topicA)
	branchB := append(slices.Clone(history), hvB, topicB)
	events := stateres.EventMap{}
	events.Add(all...)
	want, err := stateres.Resolve(spec, []stateres.StateMap{after(branchA), after(branchB)}, events)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.EventByID(merge.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.StateBefore(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d slots before the merge, want %d", len(got), len(want))
	}
	for k, id := range want {
		nid, err := st.EventNID(id)
		if err != nil || got[k] != nid {
			t.Fatalf("slot %v before the merge: NID %d, want %s (NID %d, %v)", k, got[k], id, nid, err)
		}
	}
	// The branches' own states stay apart.
	recA, _ := st.EventByID(topicA.ID)
	sA, _ := st.StateAfter(recA)
	nidA, _ := st.EventNID(topicA.ID)
	if sA[event.StateKey{Type: "m.room.topic"}] != nidA {
		t.Fatal("the state after topic a does not hold it")
	}
	recHV, _ := st.EventByID(history[len(history)-3].ID) // the change to "shared"
	sHV, _ := st.StateAfter(recHV)
	if sA[event.StateKey{Type: event.TypeHistoryVisibility}] != sHV[event.StateKey{Type: event.TypeHistoryVisibility}] {
		t.Fatal("branch a sees branch b's history_visibility")
	}
}
