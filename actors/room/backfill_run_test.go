package room

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// fakeRemotes answers /backfill for the servers of a remoteHistory: each
// server is up, down, or empty-handed; every answer is the events the
// request names and the ones before them in the history.
type fakeRemotes struct {
	h     *remoteHistory
	mu    sync.Mutex
	asked []string
	down  map[string]bool
	empty map[string]bool
	calls atomic.Int32
	gate  chan struct{} // when set, fetches wait for it
}

func (f *fakeRemotes) fetch(ctx context.Context, server, _ string, from []string, limit int) ([]json.RawMessage, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.asked = append(f.asked, server)
	f.mu.Unlock()
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.down[server] {
		return nil, errors.New("connection refused")
	}
	if f.empty[server] {
		return nil, nil
	}
	top := -1
	for i, ev := range f.h.history {
		if slices.Contains(from, ev.ID) {
			top = max(top, i)
		}
	}
	var out []json.RawMessage
	for i := top; i >= 0 && len(out) < limit; i-- {
		out = append(out, f.h.history[i].Raw)
	}
	return out, nil
}

// check trusts every event: the checks themselves are federation's.
func (f *fakeRemotes) check(_ context.Context, _ string, v version.Spec, _ *event.Event, raws []json.RawMessage,
	_ func(string) (*event.Event, bool, error)) (BackfillVerdict, error) {
	var out BackfillVerdict
	for _, raw := range raws {
		ev, err := event.Parse(raw, v)
		if err != nil {
			return BackfillVerdict{}, err
		}
		out.Accepted = append(out.Accepted, ev)
	}
	return out, nil
}

// backfillFixture adopts a remote room in which three remote servers
// have joined members.
func backfillFixture(t *testing.T, f *fakeRemotes) (*Backfiller, *remoteHistory) {
	t.Helper()
	d, st, _ := newDir(t, vfs.NewMem(), Config{})
	h := newRemoteHistory(t)
	f.h = h
	state := slices.Clone(h.before)
	for _, u := range []string{"@x:b.org", "@y:b.org", "@z:c.org"} {
		e := u
		ev, err := (&event.Proto{RoomID: h.roomID, Type: event.TypeMember, StateKey: &e, Sender: u,
			Content: json.RawMessage(`{"membership":"join"}`), PrevEvents: []string{h.history[0].ID}, AuthEvents: []string{h.history[0].ID},
			Depth: 3, OriginServerTS: 1}).Build(h.join.Version, "remote.org", testSigner(t).Key)
		if err != nil {
			t.Fatal(err)
		}
		state = append(state, ev)
	}
	if err := d.Adopt(ctxT(t), Joined{Join: h.join, State: state}); err != nil {
		t.Fatal(err)
	}
	bf := &Backfiller{Rooms: d, Store: st, ServerName: "example.org", Fetch: f.fetch, Check: f.check,
		FetchState: linearStates(h.history)}
	d.SetBackfiller(bf)
	return bf, h
}

// The creator's server is asked first, then the others by joined members;
// a server that fails or has nothing passes the turn to the next.
func TestBackfillerTriesServersInTurn(t *testing.T) {
	f := &fakeRemotes{down: map[string]bool{"remote.org": true}, empty: map[string]bool{"b.org": true}}
	bf, h := backfillFixture(t, f)
	placed, err := bf.Backfill(ctxT(t), h.roomID, 5)
	if err != nil || placed != 5 {
		t.Fatalf("placed %d, %v", placed, err)
	}
	if want := []string{"remote.org", "b.org", "c.org"}; !slices.Equal(f.asked, want) {
		t.Fatalf("asked %v, want %v", f.asked, want)
	}
	xs, err := bf.Extremities(ctxT(t), h.roomID)
	if err != nil || len(xs) != 1 || xs[0].EventID != h.history[len(h.history)-5].ID {
		t.Fatalf("extremities %+v %v", xs, err)
	}
}

// Concurrent backfills of one room make one fetch and share its result;
// a backfill that placed nothing leaves the room alone until Retry has
// passed.
func TestBackfillerOneFlightPerRoomAndRetry(t *testing.T) {
	f := &fakeRemotes{gate: make(chan struct{})}
	bf, h := backfillFixture(t, f)
	now := time.Unix(1000, 0)
	var clock sync.Mutex
	bf.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = bf.Backfill(ctxT(t), h.roomID, 100)
		}()
	}
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others join the flight
	close(f.gate)
	wg.Wait()
	if f.calls.Load() != 1 {
		t.Fatalf("%d fetches for one room, want 1", f.calls.Load())
	}
	for _, n := range results {
		if n != len(h.history) {
			t.Fatalf("results %v, want %d each", results, len(h.history))
		}
	}

	// Complete: nothing more to place, and no fetch until Retry passes.
	f.down = map[string]bool{"remote.org": true}
	f.calls.Store(0)
	if n, _ := bf.Backfill(ctxT(t), h.roomID, 10); n != 0 || f.calls.Load() != 0 {
		t.Fatalf("complete room: placed %d with %d fetches", n, f.calls.Load())
	}
}

// A room whose history nobody can give is not asked for again at once.
func TestBackfillerStallsAfterNothing(t *testing.T) {
	f := &fakeRemotes{down: map[string]bool{"remote.org": true, "b.org": true, "c.org": true}}
	bf, h := backfillFixture(t, f)
	now := time.Unix(1000, 0)
	bf.Now = func() time.Time { return now }
	if n, err := bf.Backfill(ctxT(t), h.roomID, 10); n != 0 || !errors.Is(err, ErrNoBackfill) {
		t.Fatalf("all down: %d %v", n, err)
	}
	calls := f.calls.Load()
	if n, err := bf.Backfill(ctxT(t), h.roomID, 10); n != 0 || err != nil || f.calls.Load() != calls {
		t.Fatalf("at once again: %d %v, %d more fetches", n, err, f.calls.Load()-calls)
	}
	now = now.Add(2 * time.Minute)
	f.down = nil
	if n, err := bf.Backfill(ctxT(t), h.roomID, 10); n != 10 || err != nil {
		t.Fatalf("after Retry: %d %v", n, err)
	}
}

// The state is fetched for the oldest event of the stretch the answer
// continues, and not for an event of the answer on no path to the
// backward extremities.
func TestBackfillerFetchesStateAtTheStretchStart(t *testing.T) {
	f := &fakeRemotes{}
	bf, h := backfillFixture(t, f)
	fetch := bf.Fetch
	bf.Fetch = func(ctx context.Context, server, roomID string, from []string, limit int) ([]json.RawMessage, error) {
		raws, err := fetch(ctx, server, roomID, from, limit)
		return append(raws, h.stray.Raw), err
	}
	var asked [][]string
	states := bf.FetchState
	bf.FetchState = func(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, at []*event.Event,
		held func(string) (*event.Event, bool, error)) (BackfillStates, error) {
		var ids []string
		for _, ev := range at {
			ids = append(ids, ev.ID)
		}
		asked = append(asked, ids)
		return states(ctx, server, roomID, v, create, at, held)
	}
	placed, err := bf.Backfill(ctxT(t), h.roomID, 5)
	if err != nil || placed != 5 {
		t.Fatalf("placed %d, %v", placed, err)
	}
	if want := h.history[len(h.history)-5].ID; len(asked) != 1 || !slices.Equal(asked[0], []string{want}) {
		t.Fatalf("states asked at %v, want %s only", asked, want)
	}
}
