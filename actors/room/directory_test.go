package room

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

const (
	alice = "@alice:example.org"
	bob   = "@bob:example.org"
)

var seeds atomic.Uint64

func testSigner(t testing.TB) core.Signer {
	t.Helper()
	var seed [32]byte
	copy(seed[:], "example.org")
	key, err := signing.KeyFromSeed("ed25519:test", seed[:])
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint64(seed[24:], seeds.Add(1))
	return core.Signer{ServerName: "example.org", Key: key, Rand: &lockedRand{r: rand.NewChaCha8(seed)}}
}

// lockedRand makes a ChaCha8 safe for the concurrent room actors.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedRand) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func newDir(t testing.TB, fs vfs.FS, cfg Config) (*Directory, *persistence.Store, func()) {
	t.Helper()
	st, err := persistence.Open("db", persistence.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	sys := actors.NewSystem(nil)
	cfg.Store = st
	if cfg.Signer.ServerName == "" {
		cfg.Signer = testSigner(t)
	}
	cfg.PipelineCommits = cfg.PipelineCommits || pipelined
	d, err := NewDirectory(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Error(err)
		}
		sys.Shutdown()
		st.Close()
	}
	t.Cleanup(stop)
	return d, st, stop
}

func createRoom(t testing.TB, d *Directory, v version.ID) string {
	t.Helper()
	spec, err := version.Lookup(v)
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Create(core.CreateParams{Creator: alice, Version: spec, Preset: core.PresetPublicChat})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func message(body string) core.Proposal {
	c, _ := json.Marshal(map[string]string{"msgtype": "m.text", "body": body})
	return core.Proposal{Type: "m.room.message", Sender: alice, Content: c}
}

func ctxT(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func storedEvent(t testing.TB, st *persistence.Store, id string) *event.Event {
	t.Helper()
	rec, err := st.EventByID(id)
	if err != nil {
		t.Fatalf("event %s: %v", id, err)
	}
	ev, err := rec.Event()
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// Concurrent sends into one room all succeed, in far fewer flushes than
// events, and form one chain: every event's prev_events is one earlier event.
func TestConcurrentSendsCoalesce(t *testing.T) {
	// The first proposal holds the actor until every other one is queued
	// behind it, so the test does not depend on the scheduler's timing.
	release := make(chan struct{})
	var held atomic.Bool
	d, st, _ := newDir(t, vfs.NewMem(), Config{beforePropose: func(core.Proposal) {
		if held.CompareAndSwap(false, true) {
			<-release
		}
	}})
	roomID := createRoom(t, d, "11")
	const n = 200
	go func() {
		waitFor(t, func() bool { return d.admit.inFlight(roomID) == n }, "all proposals admitted")
		time.Sleep(50 * time.Millisecond) // let the shard forward the last ones
		close(release)
	}()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := d.Propose(ctxT(t), roomID, message(fmt.Sprint(i)), nil)
			ids[i] = id
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f := d.Stats().Flushes; f > 10 {
		t.Fatalf("%d flushes for %d events: no coalescing", f, n)
	}
	depths := map[int64]bool{}
	for _, id := range ids {
		ev := storedEvent(t, st, id)
		if len(ev.PrevEvents) != 1 || depths[ev.Depth] {
			t.Fatalf("event %s: prev %v depth %d (not a single chain)", id, ev.PrevEvents, ev.Depth)
		}
		depths[ev.Depth] = true
	}
	end, _ := st.RoomEnd(roomID)
	page, _, err := st.RoomEvents(roomID, end, true, n+20)
	if err != nil || len(page) < n {
		t.Fatalf("pagination: %d events, %v", len(page), err)
	}
}

// An idle room actor passivates; the next proposal reloads the room from
// Pebble and continues its DAG and state.
func TestPassivationAndReload(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{IdleTimeout: 30 * time.Millisecond})
	const rooms = 20
	var ids []string
	for range rooms {
		id := createRoom(t, d, "10")
		if _, err := d.Propose(ctxT(t), id, core.Proposal{Type: event.TypeName, StateKey: core.StateKeyOf(""), Sender: alice, Content: json.RawMessage(`{"name":"before"}`)}, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	waitFor(t, func() bool { return d.Stats().LiveActors == 0 }, "all room actors passivated")
	for _, id := range ids {
		last, _ := st.CurrentStateEvent(id, event.TypeName, "")
		eid, err := d.Propose(ctxT(t), id, message("after"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ev := storedEvent(t, st, eid)
		if len(ev.PrevEvents) != 1 || ev.PrevEvents[0] != last.EventID {
			t.Fatalf("after reload prev_events %v, want [%s]", ev.PrevEvents, last.EventID)
		}
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Faults: a full room refuses at once, a panic and a failed commit fail
// the request, write nothing, and the room carries on from Pebble.
func TestFaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(release <-chan struct{}, trip *atomic.Bool) Config
		// second runs while the first proposal is held or failing.
		wantFirst  error
		wantSecond error
	}{
		{
			name: "admission control refuses a second request in flight",
			cfg: func(release <-chan struct{}, trip *atomic.Bool) Config {
				return Config{MaxInFlightPerRoom: 1, beforePropose: func(core.Proposal) {
					if trip.CompareAndSwap(true, false) {
						<-release
					}
				}}
			},
			wantSecond: ErrBusy,
		},
		{
			name: "panic in the actor",
			cfg: func(_ <-chan struct{}, trip *atomic.Bool) Config {
				return Config{beforePropose: func(core.Proposal) {
					if trip.CompareAndSwap(true, false) {
						panic("broken invariant")
					}
				}}
			},
			wantFirst: ErrInternal,
		},
		{
			name: "failed commit",
			cfg: func(_ <-chan struct{}, trip *atomic.Bool) Config {
				return Config{commit: func(b *persistence.RoomBatch) error {
					if trip.CompareAndSwap(true, false) {
						return errors.New("disk full")
					}
					return b.Commit()
				}}
			},
			wantFirst: ErrCommit,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var trip atomic.Bool
			d, st, _ := newDir(t, vfs.NewMem(), tc.cfg(release, &trip))
			roomID := createRoom(t, d, "11")
			before, _ := st.StreamPosition()
			trip.Store(true)
			first := make(chan error, 1)
			go func() {
				_, err := d.Propose(ctxT(t), roomID, message("first"), nil)
				first <- err
			}()
			if tc.wantSecond != nil {
				waitFor(t, func() bool { return !trip.Load() }, "first proposal held")
				if _, err := d.Propose(ctxT(t), roomID, message("second"), nil); !errors.Is(err, tc.wantSecond) {
					t.Fatalf("second = %v, want %v", err, tc.wantSecond)
				}
				close(release)
			}
			if err := <-first; !errors.Is(err, tc.wantFirst) && !(tc.wantFirst == nil && err == nil) {
				t.Fatalf("first = %v, want %v", err, tc.wantFirst)
			}
			if tc.wantFirst != nil {
				// Nothing of the failed proposal is visible.
				end, _ := st.RoomEnd(roomID)
				page, _, _ := st.RoomEvents(roomID, end, true, 1)
				if after, _ := st.StreamPosition(); len(page) != 1 || page[0].Stream > before || after < before {
					t.Fatalf("failed proposal left an event: %+v", page)
				}
			}
			id, err := d.Propose(ctxT(t), roomID, message("third"), nil)
			if err != nil {
				t.Fatalf("room did not recover: %v", err)
			}
			ev := storedEvent(t, st, id)
			ext, _ := st.Extremities(roomID)
			if len(ext) != 1 || len(ev.PrevEvents) != 1 {
				t.Fatalf("extremities %v, prev %v", ext, ev.PrevEvents)
			}
		})
	}
}

// A retried transaction returns the first event; a reused ID for another
// request is refused; a proposal the auth rules refuse changes nothing.
func TestTxnAndRefusals(t *testing.T) {
	d, _, _ := newDir(t, vfs.NewMem(), Config{})
	roomID := createRoom(t, d, "11")
	txn := &Txn{UserID: alice, DeviceID: "D", ID: "send\x00" + roomID + "\x00t1", Request: "h1"}
	a, err := d.Propose(ctxT(t), roomID, message("x"), txn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Propose(ctxT(t), roomID, message("x"), txn)
	if err != nil || a != b {
		t.Fatalf("retry = %s, %v; want %s", b, err, a)
	}
	other := *txn
	other.Request = "h2"
	if _, err := d.Propose(ctxT(t), roomID, message("y"), &other); !errors.Is(err, ErrTxnReused) {
		t.Fatalf("reuse = %v", err)
	}
	p := message("z")
	p.Sender = bob
	if _, err := d.Propose(ctxT(t), roomID, p, nil); !errors.Is(err, core.ErrForbidden) {
		t.Fatalf("non-member send = %v, want ErrForbidden", err)
	}
	for i := range 50 {
		if _, err := d.Propose(ctxT(t), fmt.Sprintf("!nope%d:example.org", i), message("z"), nil); !errors.Is(err, ErrUnknownRoom) {
			t.Fatalf("unknown room = %v", err)
		}
	}
	// Actors for rooms that do not exist retire at once; the real room's
	// actor stays.
	waitFor(t, func() bool { return d.Stats().LiveActors == 1 }, "actors of unknown rooms retired")
}

// A redaction rewrites the stored target without its content; the state
// after many changes is the current state (snapshots and deltas agree), and
// memberships land in the per-user index.
func TestRedactionStateAndMemberships(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	roomID := createRoom(t, d, "11")
	msg, err := d.Propose(ctxT(t), roomID, message("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Propose(ctxT(t), roomID, core.Redact(alice, msg, "oops"), nil); err != nil {
		t.Fatal(err)
	}
	rec, _ := st.EventByID(msg)
	var content map[string]any
	ev, _ := rec.Event()
	_ = json.Unmarshal(ev.Content, &content)
	if !rec.Redacted || len(content) != 0 {
		t.Fatalf("redacted target: redacted=%v content=%v", rec.Redacted, content)
	}
	if _, err := d.Propose(ctxT(t), roomID, core.Join(bob, core.MemberOptions{}), nil); err != nil {
		t.Fatal(err)
	}
	var last string
	for i := range 2*persistence.SnapshotInterval + 3 {
		c, _ := json.Marshal(map[string]string{"name": fmt.Sprint("n", i)})
		if last, err = d.Propose(ctxT(t), roomID, core.Proposal{Type: event.TypeName, StateKey: core.StateKeyOf(""), Sender: alice, Content: c}, nil); err != nil {
			t.Fatal(err)
		}
	}
	lastRec, _ := st.EventByID(last)
	after, err := st.StateAfter(lastRec)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := st.CurrentState(roomID)
	if fmt.Sprint(after) != fmt.Sprint(cur) {
		t.Fatalf("state after last event %v\n!= current state %v", after, cur)
	}
	if m, _ := st.MembershipAt(lastRec, bob); m != "join" {
		t.Fatalf("bob at last event: %s", m)
	}
}

func TestRoomsSurviveRestart(t *testing.T) {
	fs := vfs.NewMem()
	d, _, stop := newDir(t, fs, Config{})
	roomID := createRoom(t, d, "9")
	if _, err := d.Propose(ctxT(t), roomID, core.Join(bob, core.MemberOptions{}), nil); err != nil {
		t.Fatal(err)
	}
	stop()
	d, st, _ := newDir(t, fs, Config{})
	if rooms, _ := st.UserRooms(bob, "join"); len(rooms) != 1 || rooms[0].RoomID != roomID {
		t.Fatalf("bob's rooms after restart: %+v", rooms)
	}
	p := message("hi")
	p.Sender = bob
	if _, err := d.Propose(ctxT(t), roomID, p, nil); err != nil {
		t.Fatalf("bob sends after restart: %v", err)
	}
	b, _ := st.NewRoomBatch()
	defer b.Close()
	if b.NextStream() == 1 {
		t.Fatal("stream restarted from 1 after reopen")
	}
}

// Version 12 room IDs are hashes of the create event: rooms created by one
// user at the same instant must still get distinct IDs.
func TestCreateSameInstantDistinctRooms(t *testing.T) {
	frozen := time.UnixMilli(1_700_000_000_000)
	d, st, _ := newDir(t, vfs.NewMem(), Config{Now: func() time.Time { return frozen }})
	v12, _ := version.Lookup("12")
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := d.Create(core.CreateParams{Creator: alice, Version: v12, Preset: core.PresetPublicChat})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[id] {
				t.Errorf("room ID %s handed out twice", id)
			}
			seen[id] = true
		}()
	}
	wg.Wait()
	for id := range seen {
		if _, err := st.Room(id); err != nil {
			t.Fatalf("room %s not stored: %v", id, err)
		}
	}
}

// A restricted room lets in the members of the rooms its join rule allows,
// naming an authorising member, and nobody else.
func TestRestrictedJoin(t *testing.T) {
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	lobby := createRoom(t, d, "10")
	if _, err := d.Join(ctxT(t), lobby, bob, core.MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	v, _ := version.Lookup("10")
	rules, _ := json.Marshal(map[string]any{"join_rule": "restricted",
		"allow": []any{map[string]string{"type": "m.room_membership", "room_id": lobby}}})
	inner, err := d.Create(core.CreateParams{Creator: alice, Version: v, Preset: core.PresetPrivateChat,
		InitialState: []core.StateEvent{{Type: event.TypeJoinRules, Content: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Join(ctxT(t), inner, bob, core.MemberOptions{})
	if err != nil {
		t.Fatalf("lobby member joins the restricted room: %v", err)
	}
	var c map[string]any
	_ = json.Unmarshal(storedEvent(t, st, id).Content, &c)
	if c["join_authorised_via_users_server"] != alice {
		t.Fatalf("join content %v, want alice as the authorising user", c)
	}
	if _, err := d.Join(ctxT(t), inner, "@carol:example.org", core.MemberOptions{}); !errors.Is(err, core.ErrForbidden) {
		t.Fatalf("outsider joins the restricted room: %v, want ErrForbidden", err)
	}
}

// pipelined makes newDir's directories commit in goroutines
// (Config.PipelineCommits) for TestPipelinedCommits.
var pipelined bool

// TestPipelinedCommits runs the actor's tests again with each batch's fsync
// in a goroutine while the actor goes on applying proposals.
func TestPipelinedCommits(t *testing.T) {
	pipelined = true
	defer func() { pipelined = false }()
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"coalesce", TestConcurrentSendsCoalesce},
		{"passivation", TestPassivationAndReload},
		{"faults", TestFaults},
		{"txn", TestTxnAndRefusals},
		{"redaction", TestRedactionStateAndMemberships},
		{"restart", TestRoomsSurviveRestart},
		{"restricted", TestRestrictedJoin},
	} {
		t.Run(tc.name, tc.f)
	}
}

// With pipelined commits, a failed batch also fails the proposals applied
// on top of it while it was in flight, and the room carries on from Pebble.
func TestPipelinedFailureFailsProposalsOnTop(t *testing.T) {
	secondApplied := make(chan struct{})
	var calls, commits atomic.Int32
	var armed atomic.Bool // the room's creation commits normally
	d, st, _ := newDir(t, vfs.NewMem(), Config{PipelineCommits: true,
		beforePropose: func(core.Proposal) {
			if calls.Add(1) == 2 {
				close(secondApplied)
			}
		},
		commit: func(b *persistence.RoomBatch) error {
			if armed.Load() && commits.Add(1) == 1 {
				<-secondApplied
				return errors.New("disk full")
			}
			return b.Commit()
		}})
	roomID := createRoom(t, d, "11")
	armed.Store(true)
	errs := make(chan error, 2)
	go func() { _, err := d.Propose(ctxT(t), roomID, message("first"), nil); errs <- err }()
	waitFor(t, func() bool { return calls.Load() == 1 }, "first proposal applied")
	go func() { _, err := d.Propose(ctxT(t), roomID, message("second"), nil); errs <- err }()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrCommit) {
			t.Fatalf("proposal over a failed batch = %v, want ErrCommit", err)
		}
	}
	id, err := d.Propose(ctxT(t), roomID, message("third"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := st.Extremities(roomID)
	ev := storedEvent(t, st, id)
	if len(ext) != 1 || len(ev.PrevEvents) != 1 {
		t.Fatalf("extremities %v prev %v", ext, ev.PrevEvents)
	}
	if prev, err := st.EventByID(ev.PrevEvents[0]); err != nil || prev.Stream == 0 {
		t.Fatalf("third event's prev_event is not stored: %v", err)
	}
}
