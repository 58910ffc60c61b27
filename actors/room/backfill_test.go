package room

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

const (
	carol = "@carol:remote.org"
	dave  = "@dave:remote.org"
	erin  = "@erin:remote.org"
)

// remoteHistory is a room of remote.org as remote.org holds it: its
// creation, ten messages with dave joining half-way, then an event that
// claims a depth far above its place, and erin's join on top of it, which
// is what this server adopts. Every event in order, oldest first.
type remoteHistory struct {
	roomID  string
	history []*event.Event // creation … messages, then the inflated event
	before  []*event.Event // the state before the join
	join    *event.Event
	stray   *event.Event // an event of the room on no path to the join
	daveIn  *event.Event
}

func newRemoteHistory(t *testing.T) *remoteHistory {
	t.Helper()
	spec, _ := version.Lookup("11")
	s := remoteSigner(t)
	key := s.Key
	r, effs, err := core.Create(core.CreateParams{Creator: carol, Version: spec, Preset: core.PresetPublicChat}, s, 1000)
	if err != nil {
		t.Fatal(err)
	}
	h := &remoteHistory{roomID: r.ID()}
	for _, e := range effs {
		h.history = append(h.history, e.Event)
	}
	now := int64(2000)
	propose := func(p core.Proposal) *event.Event {
		now++
		eff, err := r.Propose(p, now)
		if err != nil {
			t.Fatal(err)
		}
		h.history = append(h.history, eff.Event)
		return eff.Event
	}
	for i := range 10 {
		sender := carol
		if i == 5 {
			h.daveIn = propose(core.Proposal{Type: event.TypeMember, StateKey: core.StateKeyOf(dave), Sender: dave, Content: json.RawMessage(`{"membership":"join"}`)})
		}
		if i >= 5 {
			sender = dave
		}
		propose(core.Proposal{Type: "m.room.message", Sender: sender, Content: json.RawMessage(fmt.Sprintf(`{"body":"m%d"}`, i))})
	}
	h.before = r.StateEvents()
	last := h.history[len(h.history)-1]
	auth := func(types ...string) []string {
		var out []string
		for _, e := range h.before {
			if slices.Contains(types, e.Type) && (e.Type != event.TypeMember || *e.StateKey == carol) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	build := func(p event.Proto) *event.Event {
		p.RoomID, p.OriginServerTS = h.roomID, now
		ev, err := p.Build(spec, "remote.org", key)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	inflated := build(event.Proto{Type: "m.room.message", Sender: carol, Content: json.RawMessage(`{"body":"inflated"}`),
		PrevEvents: []string{last.ID}, AuthEvents: auth(event.TypeCreate, event.TypePowerLevels, event.TypeMember), Depth: 1000})
	h.history = append(h.history, inflated)
	e := erin
	h.join = build(event.Proto{Type: event.TypeMember, StateKey: &e, Sender: erin, Content: json.RawMessage(`{"membership":"join"}`),
		PrevEvents: []string{inflated.ID}, AuthEvents: auth(event.TypeCreate, event.TypePowerLevels, event.TypeJoinRules), Depth: last.Depth + 2})
	h.stray = build(event.Proto{Type: "m.room.message", Sender: carol, Content: json.RawMessage(`{"body":"stray"}`),
		PrevEvents: []string{h.history[0].ID}, AuthEvents: auth(event.TypeCreate, event.TypePowerLevels, event.TypeMember), Depth: 2})
	return h
}

// remoteSigner signs as remote.org.
func remoteSigner(t *testing.T) core.Signer {
	t.Helper()
	var seed [32]byte
	copy(seed[:], "remote.org")
	key, err := signing.KeyFromSeed("ed25519:r", seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return core.Signer{ServerName: "remote.org", Key: key, Rand: &lockedRand{r: mrand.NewChaCha8(seed)}}
}

// The history is placed below the join, in its order, whatever order it
// arrives in and whatever depth an event claims; events on no path to the
// join are left out; the state before each placed event follows the
// history; the backward extremities move back and end at m.room.create;
// placing the same events again does nothing.
func TestPlaceBackfilled(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	h := newRemoteHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: h.join, State: h.before}); err != nil {
		t.Fatal(err)
	}
	res, err := d.PlaceBackfilled(ctxT(t), h.roomID, nil)
	if err != nil || len(res.Extremities) != 1 || res.Extremities[0].EventID != h.join.ID {
		t.Fatalf("extremities after the join: %+v %v", res, err)
	}

	// The newest four first, with the state before the oldest of them as
	// /state_ids gives it: the extremity moves back to the oldest of them.
	newest := h.history[len(h.history)-4:]
	res, err = d.PlaceBackfilledAt(ctxT(t), h.roomID, newest, stateAt(t, d, h.history, len(h.history)-4))
	if err != nil || res.Placed != 4 || len(res.Extremities) != 1 || res.Extremities[0].EventID != newest[0].ID ||
		fmt.Sprint(res.Extremities[0].Missing) != fmt.Sprint(newest[0].PrevEvents) {
		t.Fatalf("after the newest four: %+v %v", res, err)
	}

	chunk := append(slices.Clone(h.history), h.stray)
	mrand.New(mrand.NewPCG(1, 2)).Shuffle(len(chunk), func(i, j int) { chunk[i], chunk[j] = chunk[j], chunk[i] })
	res, err = d.PlaceBackfilled(ctxT(t), h.roomID, chunk)
	if err != nil || res.Placed != len(h.history)-4 || len(res.Extremities) != 0 {
		t.Fatalf("after the rest: placed %d of %d, extremities %+v, %v", res.Placed, len(h.history)-4, res.Extremities, err)
	}

	end, _ := st.RoomEnd(h.roomID)
	page, _, err := st.RoomEvents(h.roomID, end, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for i := len(page) - 1; i >= 0; i-- {
		got = append(got, page[i].EventID)
	}
	for _, e := range append(slices.Clone(h.history), h.join) {
		want = append(want, e.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("timeline oldest first:\n%v\nwant\n%v", got, want)
	}
	if inflated, join := page[1], page[0]; inflated.Depth >= join.Depth {
		t.Fatalf("the inflated event is at depth %d, its child the join at %d", inflated.Depth, join.Depth)
	}
	if s, _ := st.RoomStream(h.roomID, 0, 1<<62, 100); len(s) != 1 || s[0].EventID != h.join.ID {
		t.Fatalf("the room stream holds %d events, want the join only", len(s))
	}
	if rec, err := st.EventByID(h.stray.ID); err == nil {
		t.Fatalf("the stray event was stored: %+v", rec)
	}

	// dave is a member in the state before his messages, and not before
	// his join.
	daveKey := event.StateKey{Type: event.TypeMember, StateKey: dave}
	for _, rec := range page {
		s, err := st.StateBefore(rec)
		if err != nil {
			t.Fatal(err)
		}
		_, member := s[daveKey]
		ev, _ := rec.Event()
		afterJoin := ev.Depth > h.daveIn.Depth
		if member != afterJoin {
			t.Fatalf("%s (%s, depth %d): dave in the state before it: %v", rec.EventID, ev.Type, ev.Depth, member)
		}
	}

	if res, err = d.PlaceBackfilled(ctxT(t), h.roomID, chunk); err != nil || res.Placed != 0 {
		t.Fatalf("placing again: %+v %v", res, err)
	}
}

// A room created here holds its whole history: it has no backward
// extremities and nothing is placed in it.
func TestLocalRoomHasNoBackwardExtremities(t *testing.T) {
	d, _, _ := newDir(t, vfs.NewMem(), Config{})
	roomID := createRoom(t, d, "11")
	res, err := d.PlaceBackfilled(ctxT(t), roomID, nil)
	if err != nil || len(res.Extremities) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	h := newRemoteHistory(t)
	if res, err = d.PlaceBackfilled(ctxT(t), roomID, h.history); err != nil || res.Placed != 0 {
		t.Fatalf("placing another room's events: %+v %v", res, err)
	}
}

// Extremities survive in the store between calls.
func TestBackwardExtremitiesPersist(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	h := newRemoteHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: h.join, State: h.before}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PlaceBackfilledAt(ctxT(t), h.roomID, h.history[len(h.history)-2:], stateAt(t, d, h.history, len(h.history)-2)); err != nil {
		t.Fatal(err)
	}
	xs, err := st.BackwardExtremities(h.roomID)
	if err != nil || len(xs) != 1 || xs[0].EventID != h.history[len(h.history)-2].ID {
		t.Fatalf("stored extremities %+v %v", xs, err)
	}
	if bs, _ := st.BackfillState(h.roomID); !bs.Initialised {
		t.Fatal("backfill state not stored")
	}
}

// A backfilled redaction applies to its target when it may: by a user of
// the target sender's server, yes; by another server's user without the
// redact power level, no.
func TestPlaceBackfilledAppliesRedactions(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	spec, _ := version.Lookup("11")
	s := remoteSigner(t)
	r, effs, err := core.Create(core.CreateParams{Creator: carol, Version: spec, Preset: core.PresetPublicChat}, s, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var history []*event.Event
	for _, e := range effs {
		history = append(history, e.Event)
	}
	propose := func(p core.Proposal) *event.Event {
		eff, err := r.Propose(p, 2000+int64(len(history)))
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, eff.Event)
		return eff.Event
	}
	propose(core.Proposal{Type: event.TypeMember, StateKey: core.StateKeyOf(dave), Sender: dave, Content: json.RawMessage(`{"membership":"join"}`)})
	byCarol := propose(core.Proposal{Type: "m.room.message", Sender: carol, Content: json.RawMessage(`{"body":"carol's"}`)})
	byDave := propose(core.Proposal{Type: "m.room.message", Sender: dave, Content: json.RawMessage(`{"body":"dave's"}`)})
	propose(core.Redact(carol, byDave.ID, "off topic"))
	before := r.StateEvents()
	var create, pl, jr string
	for _, ev := range before {
		switch ev.Type {
		case event.TypeCreate:
			create = ev.ID
		case event.TypePowerLevels:
			pl = ev.ID
		case event.TypeJoinRules:
			jr = ev.ID
		}
	}
	build := func(p event.Proto) *event.Event {
		p.RoomID, p.OriginServerTS, p.PrevEvents = r.ID(), 3000, []string{history[len(history)-1].ID}
		p.Depth = history[len(history)-1].Depth + 1
		ev, err := p.Build(spec, "remote.org", s.Key) // the directory checks no signature
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, ev)
		return ev
	}
	mallory := "@mallory:evil.org"
	mj := build(event.Proto{Type: event.TypeMember, StateKey: &mallory, Sender: mallory, Content: json.RawMessage(`{"membership":"join"}`),
		AuthEvents: []string{create, pl, jr}})
	build(event.Proto{Type: event.TypeRedaction, Sender: mallory, Redacts: byCarol.ID, Content: json.RawMessage(`{}`),
		AuthEvents: []string{create, pl, mj.ID}})
	e := erin
	join := build(event.Proto{Type: event.TypeMember, StateKey: &e, Sender: erin, Content: json.RawMessage(`{"membership":"join"}`),
		AuthEvents: []string{create, pl, jr}})
	history = history[:len(history)-1]
	before = append(before, mj)
	if err := d.Adopt(ctxT(t), Joined{Join: join, State: before}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PlaceBackfilled(ctxT(t), r.ID(), history); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ev       *event.Event
		redacted bool
	}{{byDave, true}, {byCarol, false}} {
		rec, err := st.EventByID(c.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Redacted != c.redacted || strings.Contains(string(rec.Raw), `"body"`) == c.redacted {
			t.Fatalf("%s: redacted %v, stored %s", c.ev.ID, rec.Redacted, rec.Raw)
		}
	}
}

// A redaction that arrives after the join, of an event from before it,
// waits for the target's backfill and applies then.
func TestPendingRedactionAppliesOnBackfill(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	h := newRemoteHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: h.join, State: h.before}); err != nil {
		t.Fatal(err)
	}
	var target *event.Event
	for _, ev := range h.history {
		if ev.Type == "m.room.message" && ev.Sender == carol {
			target = ev
			break
		}
	}
	var auth []string
	for _, ev := range h.before {
		if ev.Type == event.TypeCreate || ev.Type == event.TypePowerLevels || (ev.Type == event.TypeMember && *ev.StateKey == carol) {
			auth = append(auth, ev.ID)
		}
	}
	red, err := (&event.Proto{RoomID: h.roomID, Type: event.TypeRedaction, Sender: carol, Redacts: target.ID, Content: json.RawMessage(`{}`),
		PrevEvents: []string{h.join.ID}, AuthEvents: auth, Depth: h.join.Depth + 1, OriginServerTS: 5000}).Build(h.join.Version, "remote.org", remoteSigner(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := d.Step(ctxT(t), red); err != nil || res.Outcome != core.Accepted {
		t.Fatalf("step the redaction: %+v %v", res, err)
	}
	if ids, _ := st.PendingRedactions(h.roomID, target.ID); len(ids) != 1 || ids[0] != red.ID {
		t.Fatalf("pending redactions %v", ids)
	}
	if _, err := d.PlaceBackfilled(ctxT(t), h.roomID, h.history); err != nil {
		t.Fatal(err)
	}
	rec, err := st.EventByID(target.ID)
	if err != nil || !rec.Redacted || strings.Contains(string(rec.Raw), `"body"`) {
		t.Fatalf("target after backfill: %+v %v", rec, err)
	}
	if ids, _ := st.PendingRedactions(h.roomID, target.ID); len(ids) != 0 {
		t.Fatalf("pending redactions left: %v", ids)
	}
}

// A room joined over federation has its join recorded as its backward
// extremity by the join's own batch, with no scan later.
func TestAdoptRecordsTheJoinAsBackwardExtremity(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	h := newRemoteHistory(t)
	if err := d.Adopt(ctxT(t), Joined{Join: h.join, State: h.before}); err != nil {
		t.Fatal(err)
	}
	bs, err := st.BackfillState(h.roomID)
	if err != nil || !bs.Initialised {
		t.Fatalf("backfill state after the join: %+v %v", bs, err)
	}
	xs, err := st.BackwardExtremities(h.roomID)
	if err != nil || len(xs) != 1 || xs[0].EventID != h.join.ID || fmt.Sprint(xs[0].Missing) != fmt.Sprint(h.join.PrevEvents) {
		t.Fatalf("extremities after the join: %+v %v", xs, err)
	}
}
