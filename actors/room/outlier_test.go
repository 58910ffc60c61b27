package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// resident is a room as another server holds it, built with the pure
// core: the events it makes are what a send_join answer and later PDUs
// would carry. It signs as example.org, like the directory under test,
// because the core only proposes for local senders; the directory does not
// check signatures (federation does, before Step).
type resident struct {
	t    testing.TB
	room *core.Room
	now  int64
}

func newResident(t testing.TB, v version.ID) *resident {
	spec, err := version.Lookup(v)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := core.Create(core.CreateParams{Creator: bob, Version: spec, Preset: core.PresetPublicChat}, testSigner(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return &resident{t: t, room: r, now: 2000}
}

func (r *resident) propose(p core.Proposal) *event.Event {
	r.t.Helper()
	r.now++
	eff, err := r.room.Propose(p, r.now)
	if err != nil {
		r.t.Fatal(err)
	}
	return eff.Event
}

func (r *resident) say(sender, body string) *event.Event {
	c, _ := json.Marshal(map[string]string{"msgtype": "m.text", "body": body})
	return r.propose(core.Proposal{Type: "m.room.message", Sender: sender, Content: c})
}

func (r *resident) topic(sender, topic string) *event.Event {
	c, _ := json.Marshal(map[string]string{"topic": topic})
	return r.propose(core.Proposal{Type: "m.room.topic", StateKey: core.StateKeyOf(""), Sender: sender, Content: c})
}

func (r *resident) join(user string) *event.Event {
	return r.propose(core.Proposal{Type: event.TypeMember, StateKey: core.StateKeyOf(user), Sender: user, Content: json.RawMessage(`{"membership":"join"}`)})
}

// stateIDs is the resident's current state as slot → event ID.
func (r *resident) stateIDs() stateres.StateMap {
	out := make(stateres.StateMap)
	for _, e := range r.room.StateEvents() {
		out[e.Key()] = e.ID
	}
	return out
}

func timeline(t *testing.T, st *persistence.Store, roomID string) []string {
	t.Helper()
	recs, err := st.RoomStream(roomID, 0, 1<<62, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.EventID)
	}
	return ids
}

// adoptFromResident joins alice to the resident's room and adopts it,
// after some history that the joiner must not see as timeline.
func adoptFromResident(t testing.TB, d *Directory, r *resident) (join *event.Event, before []*event.Event) {
	t.Helper()
	r.say(bob, "before the join 1")
	r.topic(bob, "old topic")
	r.say(bob, "before the join 2")
	before = r.room.StateEvents()
	join = r.join(alice)
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	return join, before
}

// A federated join stores the state before it as outliers: the room's
// timeline starts at the join, while the state (current, and before the
// join) is complete and every state event is found by ID.
func TestAdoptStoresStateAsOutliers(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	r := newResident(t, version.ID("12"))
	join, before := adoptFromResident(t, d, r)
	roomID := join.RoomID

	if got := timeline(t, st, roomID); len(got) != 1 || got[0] != join.ID {
		t.Fatalf("timeline after the join: %v, want only the join %s", got, join.ID)
	}
	page, _, err := st.RoomEvents(roomID, persistence.Topo{Depth: 1 << 40}, true, 100)
	if err != nil || len(page) != 1 || page[0].EventID != join.ID {
		t.Fatalf("/messages order after the join: %d events (%v)", len(page), err)
	}
	cur, err := st.CurrentState(roomID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != len(before)+1 {
		t.Fatalf("current state has %d slots, want %d", len(cur), len(before)+1)
	}
	joinRec, err := st.EventByID(join.ID)
	if err != nil {
		t.Fatal(err)
	}
	stBefore, err := st.StateBefore(joinRec)
	if err != nil || len(stBefore) != len(before) {
		t.Fatalf("state before the join: %d slots (%v), want %d", len(stBefore), err, len(before))
	}
	for _, ev := range before {
		rec, err := st.EventByID(ev.ID)
		if err != nil {
			t.Fatalf("state event %s (%s): %v", ev.ID, ev.Type, err)
		}
		if !rec.Outlier || rec.Stream != 0 {
			t.Errorf("state event %s (%s): outlier %v stream %d", ev.ID, ev.Type, rec.Outlier, rec.Stream)
		}
	}
	// A message after the join, stepped as a PDU, follows the join.
	msg := r.say(bob, "after the join")
	if res, err := d.Step(ctxT(t), msg); err != nil || res.Outcome != core.Accepted {
		t.Fatalf("stepping a message after the join: %+v %v", res, err)
	}
	if got := timeline(t, st, roomID); len(got) != 2 || got[1] != msg.ID {
		t.Fatalf("timeline: %v, want the join then %s", got, msg.ID)
	}
}

// A PDU whose prev_event this server missed (with state changes in the
// gap) is refused with ErrMissingPrev until the prev_event is stored as an
// outlier with the state before it; it is then accepted against that
// state, the gap stays out of the timeline, and an outlier later stepped
// as a PDU enters the timeline under its own NID.
func TestStepAfterMissingStateAndDeOutlier(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	r := newResident(t, version.ID("11"))
	join, _ := adoptFromResident(t, d, r)
	roomID := join.RoomID

	first := r.say(bob, "gap 0")
	var gap []*event.Event
	for i := range 6 {
		if i%2 == 1 {
			gap = append(gap, r.topic(bob, fmt.Sprintf("topic %d", i)))
		} else {
			gap = append(gap, r.say(bob, fmt.Sprintf("gap %d", i+1)))
		}
	}
	stateBeforeLast := r.stateIDs()
	last := r.say(bob, "last of the gap")
	next := r.say(alice, "after the gap")

	if _, err := d.Step(ctxT(t), next); !errors.Is(err, ErrMissingPrev) {
		t.Fatalf("stepping past a gap: %v, want ErrMissingPrev", err)
	}

	// The state before `last` names gap events this server lacks; they
	// come first, without state, then `last` with the state before it.
	var outs []Outlier
	for _, id := range stateBeforeLast {
		if _, err := st.EventByID(id); err == nil {
			continue
		}
		for _, g := range gap {
			if g.ID == id {
				outs = append(outs, Outlier{Event: g})
			}
		}
	}
	if len(outs) != 1 {
		t.Fatalf("%d state events missing, want the last topic", len(outs))
	}
	bad := append([]Outlier{}, Outlier{Event: last, StateBefore: stateBeforeLast})
	if err := d.StoreOutliers(ctxT(t), roomID, bad); !errors.Is(err, ErrStateIncomplete) {
		t.Fatalf("a state naming unknown events: %v, want ErrStateIncomplete", err)
	}
	outs = append(outs, Outlier{Event: first}, Outlier{Event: last, StateBefore: stateBeforeLast})
	if err := d.StoreOutliers(ctxT(t), roomID, outs); err != nil {
		t.Fatal(err)
	}
	res, err := d.Step(ctxT(t), next)
	if err != nil || res.Outcome != core.Accepted {
		t.Fatalf("stepping after the state was fetched: %+v %v", res, err)
	}
	if got := timeline(t, st, roomID); len(got) != 2 || got[1] != next.ID {
		t.Fatalf("timeline: %v, want the join then %s (the gap is not timeline)", got, next.ID)
	}
	topic, err := st.CurrentStateEvent(roomID, "m.room.topic", "")
	if err != nil || topic.EventID != gap[5].ID {
		t.Fatalf("current topic %s (%v), want the gap's last topic %s", topic.EventID, err, gap[5].ID)
	}

	// `first` was stored as an outlier; stepped as a PDU (its prev_event,
	// the join, is held) it enters the timeline under the same NID.
	out, err := st.EventByID(first.ID)
	if err != nil || !out.Outlier {
		t.Fatalf("first gap event before stepping: %+v %v", out, err)
	}
	if res, err := d.Step(ctxT(t), first); err != nil || res.Known {
		t.Fatalf("stepping an outlier: %+v %v", res, err)
	}
	in, err := st.EventByID(first.ID)
	if err != nil || in.Outlier || in.NID != out.NID || in.Stream == 0 {
		t.Fatalf("de-outliered event: %+v %v (outlier NID %d)", in, err, out.NID)
	}
	if got := timeline(t, st, roomID); len(got) != 3 || got[2] != first.ID {
		t.Fatalf("timeline: %v, want %s last", got, first.ID)
	}
	if res, err := d.Step(ctxT(t), first); err != nil || !res.Known {
		t.Fatalf("stepping it again: %+v %v, want known", res, err)
	}
}

// An outlier stored as rejected counts as rejected wherever it is cited:
// a PDU whose only membership auth event is that outlier is rejected,
// while the same PDU on an accepted copy is accepted. An outlier first
// stored without a state gains one later under its own NID.
func TestRejectedOutlierAndLateState(t *testing.T) {
	for _, rejected := range []bool{true, false} {
		t.Run(fmt.Sprintf("rejected=%v", rejected), func(t *testing.T) {
			d, st, _ := newDir(t, vfs.NewMem(), Config{})
			r := newResident(t, version.ID("11"))
			join, _ := adoptFromResident(t, d, r)
			roomID := join.RoomID
			before := r.stateIDs()
			rename := r.propose(core.Proposal{Type: event.TypeMember, StateKey: core.StateKeyOf(bob), Sender: bob,
				Content: json.RawMessage(`{"membership":"join","displayname":"Bob"}`)})
			msg := r.say(bob, "cites the rename")

			if err := d.StoreOutliers(ctxT(t), roomID, []Outlier{{Event: rename, Rejected: rejected}}); err != nil {
				t.Fatal(err)
			}
			first, err := st.EventByID(rename.ID)
			if err != nil || !first.Outlier || first.StateAfter != 0 {
				t.Fatalf("outlier without state: %+v %v", first, err)
			}
			if _, err := d.Step(ctxT(t), msg); !errors.Is(err, ErrMissingPrev) {
				t.Fatalf("stepping on an outlier without state: %v, want ErrMissingPrev", err)
			}
			if err := d.StoreOutliers(ctxT(t), roomID, []Outlier{{Event: rename, Rejected: rejected, StateBefore: before}}); err != nil {
				t.Fatal(err)
			}
			second, err := st.EventByID(rename.ID)
			if err != nil || !second.Outlier || second.NID != first.NID || second.StateAfter == 0 {
				t.Fatalf("outlier after gaining a state: %+v %v (NID before %d)", second, err, first.NID)
			}
			wantOutcome := persistence.OutcomeAccepted
			if rejected {
				wantOutcome = persistence.OutcomeRejected
			}
			if second.Outcome != wantOutcome || (rejected && second.StateAfter != second.StateBefore) {
				t.Errorf("outcome %d, state groups %d → %d", second.Outcome, second.StateBefore, second.StateAfter)
			}
			res, err := d.Step(ctxT(t), msg)
			if err != nil {
				t.Fatal(err)
			}
			want := core.Accepted
			if rejected {
				want = core.Rejected
			}
			if res.Outcome != want {
				t.Fatalf("PDU citing the outlier: %v (%v), want %v", res.Outcome, res.Reason, want)
			}
		})
	}
}
