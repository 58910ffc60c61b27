package room

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// ErrNoBackfill reports a backfill that found nothing to place: every
// server asked failed or answered nothing new.
var ErrNoBackfill = errors.New("room: no server could backfill the room")

// BackfillFetch asks server for the events of roomID before from, from
// included, up to limit (GET /backfill).
type BackfillFetch func(ctx context.Context, server, roomID string, from []string, limit int) ([]json.RawMessage, error)

// BackfillCheck runs the checks on receipt of a PDU on a /backfill answer
// (format, signatures, hashes, auth against the auth events). held finds
// accepted events of the room stored here.
type BackfillCheck func(ctx context.Context, roomID string, v version.Spec, create *event.Event, raws []json.RawMessage,
	held func(id string) (*event.Event, bool, error)) (BackfillVerdict, error)

// BackfillVerdict is what BackfillCheck made of an answer.
type BackfillVerdict struct {
	// Accepted are the events that passed, oldest first.
	Accepted []*event.Event
	// Refused counts the others.
	Refused int
	// NeedAuth are refused events that lack an auth event this server
	// does not hold.
	NeedAuth []string
}

// BackfillFetchAuth fetches from server the auth chains of the events
// in of and returns the auth events that passed the checks and are not
// held yet, in auth order (each after its own auth events).
type BackfillFetchAuth func(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, of []string,
	held func(id string) (*event.Event, bool, error)) ([]*event.Event, error)

// Backfiller fetches the history of rooms joined over federation from the
// other servers in them, one fetch in flight per room: concurrent callers
// for a room share its result (server-server-api "Backfilling and
// retrieving missing events"). The network and the checks run in the
// caller's goroutine; only the writing goes through the room actor.
type Backfiller struct {
	Rooms      *Directory
	Store      *persistence.Store
	ServerName string
	Fetch      BackfillFetch
	Check      BackfillCheck
	// FetchAuth, when set, fetches the auth events a backfilled event
	// cites that this server does not hold; they are stored as outliers
	// and the answer is checked again. Without it such events are
	// refused.
	FetchAuth BackfillFetchAuth
	// FetchState, when set, fetches the state before the events that
	// begin a backfilled stretch (backfill_fetchstate.go). Without it, or
	// when it fails, the stretch's state is unknown and it is not placed:
	// history is never served under a guessed state.
	FetchState BackfillFetchState
	// PerServer bounds one server's answer (default 10 s); a failing
	// server passes the turn to the next.
	PerServer time.Duration
	// Retry is how long a room whose backfill placed nothing is left
	// alone (default 1 minute), so that pages reaching history nobody can
	// give are served at once.
	Retry time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	flights map[string]*backfillFlight
	stalled map[string]time.Time
}

type backfillFlight struct {
	done   chan struct{}
	placed int
	err    error
}

// MaxBackfillLimit bounds the events asked for in one /backfill request
// (the resident side serves at most 100).
const MaxBackfillLimit = 100

// Backfill fetches up to limit events before roomID's backward
// extremities and places them; it returns how many were placed. A caller
// arriving while a backfill of the room is in flight waits for that one
// and gets its result.
func (bf *Backfiller) Backfill(ctx context.Context, roomID string, limit int) (int, error) {
	bf.mu.Lock()
	if bf.flights == nil {
		bf.flights, bf.stalled = map[string]*backfillFlight{}, map[string]time.Time{}
	}
	if until, ok := bf.stalled[roomID]; ok {
		if bf.now().Before(until) {
			bf.mu.Unlock()
			return 0, nil
		}
		delete(bf.stalled, roomID)
	}
	if f, ok := bf.flights[roomID]; ok {
		bf.mu.Unlock()
		select {
		case <-f.done:
			return f.placed, f.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	f := &backfillFlight{done: make(chan struct{})}
	bf.flights[roomID] = f
	bf.mu.Unlock()

	f.placed, f.err = bf.run(ctx, roomID, min(max(limit, 1), MaxBackfillLimit))
	bf.mu.Lock()
	delete(bf.flights, roomID)
	if f.placed == 0 && ctx.Err() == nil {
		bf.stalled[roomID] = bf.now().Add(bf.retry())
		if len(bf.stalled) > maxStalledRooms {
			bf.pruneStalled()
		}
	}
	bf.mu.Unlock()
	close(f.done)
	return f.placed, f.err
}

// maxStalledRooms bounds the rooms remembered as having nothing to give.
const maxStalledRooms = 10_000

func (bf *Backfiller) pruneStalled() {
	now := bf.now()
	for id, until := range bf.stalled {
		if now.After(until) {
			delete(bf.stalled, id)
		}
	}
	if len(bf.stalled) > maxStalledRooms {
		clear(bf.stalled)
	}
}

// Extremities returns roomID's backward extremities, having the room
// actor compute them first if this is the first time they are needed;
// none means the room's history is complete.
func (bf *Backfiller) Extremities(ctx context.Context, roomID string) ([]persistence.BackwardExtremity, error) {
	st, err := bf.Store.BackfillState(roomID)
	if err != nil {
		return nil, err
	}
	if st.Initialised {
		return bf.Store.BackwardExtremities(roomID)
	}
	res, err := bf.Rooms.PlaceBackfilled(ctx, roomID, nil)
	return res.Extremities, err
}

// run is one backfill: the servers in the room are asked in turn until
// one answer places something.
func (bf *Backfiller) run(ctx context.Context, roomID string, limit int) (int, error) {
	xs, err := bf.Extremities(ctx, roomID)
	if err != nil || len(xs) == 0 {
		return 0, err
	}
	info, err := bf.Store.Room(roomID)
	if err != nil {
		return 0, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return 0, err
	}
	create, err := bf.Store.CurrentStateEvent(roomID, event.TypeCreate, "")
	if err != nil {
		return 0, fmt.Errorf("the room's m.room.create: %w", err)
	}
	createEv, err := create.Event()
	if err != nil {
		return 0, err
	}
	servers, err := bf.servers(roomID, info.Creator)
	if err != nil {
		return 0, err
	}
	from := missingOf(xs)
	var errs []error
	for _, server := range servers {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		placed, err := bf.tryServer(ctx, server, roomID, v, createEv, from, limit)
		if err == nil && placed > 0 {
			return placed, nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
		}
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("%w: %w", ErrNoBackfill, errors.Join(errs...))
	}
	return 0, nil
}

func (bf *Backfiller) tryServer(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, from []string, limit int) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, bf.perServer())
	defer cancel()
	raws, err := bf.Fetch(sctx, server, roomID, from, limit)
	if err != nil {
		return 0, err
	}
	held := bf.held(roomID)
	verdict, err := bf.Check(sctx, roomID, v, create, raws, held)
	if err != nil {
		return 0, err
	}
	if len(verdict.NeedAuth) > 0 && bf.FetchAuth != nil {
		if verdict, err = bf.withAuthEvents(sctx, server, roomID, v, create, raws, verdict); err != nil {
			return 0, err
		}
	}
	if len(verdict.Accepted) == 0 {
		return 0, nil
	}
	states, err := bf.withStates(sctx, server, roomID, v, create, verdict.Accepted, from)
	if err != nil {
		return 0, err
	}
	res, err := bf.Rooms.PlaceBackfilledAt(ctx, roomID, verdict.Accepted, states)
	return res.Placed, err
}

// withAuthEvents fetches the auth events the answer lacked, stores those
// that pass as outliers (the room actor writes them), and checks the
// answer again.
func (bf *Backfiller) withAuthEvents(ctx context.Context, server, roomID string, v version.Spec, create *event.Event,
	raws []json.RawMessage, verdict BackfillVerdict) (BackfillVerdict, error) {
	held := bf.held(roomID)
	authEvs, err := bf.FetchAuth(ctx, server, roomID, v, create, verdict.NeedAuth, held)
	if err != nil || len(authEvs) == 0 {
		return verdict, nil // the events stay refused; what passed stands
	}
	outs := make([]Outlier, len(authEvs))
	for i, ev := range authEvs {
		outs[i] = Outlier{Event: ev}
	}
	if err := bf.Rooms.StoreOutliers(ctx, roomID, outs); err != nil {
		return verdict, fmt.Errorf("storing fetched auth events: %w", err)
	}
	return bf.Check(ctx, roomID, v, create, raws, held)
}

// held finds accepted events of the room, in the timeline or outliers.
func (bf *Backfiller) held(roomID string) func(id string) (*event.Event, bool, error) {
	return func(id string) (*event.Event, bool, error) {
		rec, err := bf.Store.EventByID(id)
		if errors.Is(err, persistence.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if rec.RoomID != roomID || rec.Outcome == persistence.OutcomeRejected {
			return nil, false, nil
		}
		ev, err := rec.Event()
		return ev, err == nil, err
	}
}

// servers lists the other servers with joined members in the room's
// current state: the room creator's server first (it has held the room
// the longest), then by joined members, most first.
func (bf *Backfiller) servers(roomID, creator string) ([]string, error) {
	members, err := bf.Store.CurrentStateOfType(roomID, event.TypeMember)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for k, nid := range members {
		rec, err := bf.Store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		ev, err := rec.Event()
		if err != nil {
			return nil, err
		}
		if core.MembershipOf(ev) != event.MembershipJoin {
			continue
		}
		if s := serverOfUser(k.StateKey); s != "" && s != bf.ServerName {
			count[s]++
		}
	}
	out := make([]string, 0, len(count))
	for s := range count {
		out = append(out, s)
	}
	first := serverOfUser(creator)
	slices.SortFunc(out, func(x, y string) int {
		switch {
		case x == first:
			return -1
		case y == first:
			return 1
		case count[x] != count[y]:
			return count[y] - count[x]
		}
		return compare(x, y)
	})
	return out, nil
}

// missingOf lists the events the extremities miss, once each.
func missingOf(xs []persistence.BackwardExtremity) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Missing...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (bf *Backfiller) now() time.Time {
	if bf.Now != nil {
		return bf.Now()
	}
	return time.Now()
}

func (bf *Backfiller) perServer() time.Duration {
	if bf.PerServer > 0 {
		return bf.PerServer
	}
	return 10 * time.Second
}

func (bf *Backfiller) retry() time.Duration {
	if bf.Retry > 0 {
		return bf.Retry
	}
	return time.Minute
}

// SetBackfiller makes bf the directory's backfiller, for the readers that
// page back through rooms joined over federation. Call it before serving.
func (d *Directory) SetBackfiller(bf *Backfiller) { d.backfiller.Store(bf) }

// Backfiller returns the directory's backfiller, nil when none is set
// (the rooms' history is then only what this server holds).
func (d *Directory) Backfiller() *Backfiller { return d.backfiller.Load() }
