package room

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// Config configures a Directory. Zero values get the defaults noted.
type Config struct {
	Store  *persistence.Store
	Signer core.Signer
	// Shards is the number of routing shards (default 16).
	Shards int
	// IdleTimeout passivates a room actor after this long without a
	// proposal (default 1 minute).
	IdleTimeout time.Duration
	// MaxInFlightPerRoom bounds the requests waiting on one room (default
	// 1024); beyond it proposals fail at once with ErrBusy.
	MaxInFlightPerRoom int
	// MaxBatch flushes a batch once it holds this many events (default 256).
	MaxBatch int
	// ReplyTimeout bounds the wait for a reply when the caller's context has
	// no earlier deadline (default 30 seconds).
	ReplyTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PipelineCommits runs each batch's fsync in a goroutine while the
	// actor applies the next proposals, instead of inside Receive (see
	// BenchmarkFlush for the two compared).
	PipelineCommits bool
	// OnCommit, when set, hears of every committed batch (notify.go).
	OnCommit CommitHook
	// OnOutbox, when set, hears after a commit which destinations have new
	// federation outbox rows (the server actors' wake-up). It runs on the
	// room actor, so it must not block.
	OnOutbox func(destinations []string)

	// Fault injection for tests: commit replaces RoomBatch.Commit,
	// beforePropose runs before each proposal reaches the core.
	commit        func(*persistence.RoomBatch) error
	beforePropose func(core.Proposal)
}

// Directory is the entry point to room actors.
type Directory struct {
	cfg     Config
	root    *actor.RootContext
	shards  []*actor.PID
	seed    maphash.Seed
	admit   *admission
	live    atomic.Int64
	flushes atomic.Int64
	stopped atomic.Bool

	lastCreate atomic.Int64 // origin_server_ts of the last room creation
	creating   stripedLock  // room ID → lock, around a creation's check and commit

	backfiller atomic.Pointer[Backfiller] // backfill_run.go
}

// NewDirectory spawns the shards in sys.
func NewDirectory(sys *actors.System, cfg Config) (*Directory, error) {
	if cfg.Store == nil {
		return nil, errors.New("room: Config.Store is nil")
	}
	if cfg.Signer.Rand == nil || cfg.Signer.ServerName == "" {
		return nil, errors.New("room: Config.Signer needs a server name and randomness")
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 16
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = time.Minute
	}
	if cfg.MaxInFlightPerRoom <= 0 {
		cfg.MaxInFlightPerRoom = 1024
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.commit == nil {
		cfg.commit = (*persistence.RoomBatch).Commit
	}
	d := &Directory{cfg: cfg, root: sys.Actor.Root, seed: maphash.MakeSeed(), admit: newAdmission(cfg.MaxInFlightPerRoom)}
	for range cfg.Shards {
		sh := newShard(d)
		d.shards = append(d.shards, d.root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sh })))
	}
	return d, nil
}

func (d *Directory) shardFor(roomID string) *actor.PID {
	return d.shards[maphash.String(d.seed, roomID)%uint64(len(d.shards))]
}

// Propose sends p to its room's actor and returns the new event's ID once
// it is durably stored. With txn set, a retry of the same transaction returns
// the first event's ID and a reuse for another request fails with
// ErrTxnReused. Errors of the room core (rooms/room) come back wrapped.
func (d *Directory) Propose(ctx context.Context, roomID string, p core.Proposal, txn *Txn) (string, error) {
	return d.send(ctx, &envelope{roomID: roomID, proposal: p, txn: txn})
}

// Join has userID join roomID. Unlike a Propose of core.Join, it lets the
// room's actor name an authorising member when the room is restricted and
// the user is in one of the rooms its join rule allows.
func (d *Directory) Join(ctx context.Context, roomID, userID string, o core.MemberOptions) (string, error) {
	return d.send(ctx, &envelope{roomID: roomID, join: &joinRequest{userID: userID, opts: o}})
}

func (d *Directory) send(ctx context.Context, env *envelope) (string, error) {
	roomID := env.roomID
	if d.stopped.Load() {
		return "", ErrStopping
	}
	if !d.admit.acquire(roomID) {
		return "", ErrBusy
	}
	defer d.admit.release(roomID)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.ReplyTimeout)
		defer cancel()
	}
	env.reply = make(chan result, 1)
	d.root.Send(d.shardFor(roomID), env)
	select {
	case r := <-env.reply:
		return r.eventID, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
}

// Create makes a new room with the core's Create and stores its initial
// events in one batch. It runs in the caller's goroutine: until Create
// returns nobody knows the room ID, so nothing else can write the room. The
// room's actor starts on its first proposal, from Pebble.
func (d *Directory) Create(p core.CreateParams) (string, error) {
	if d.stopped.Load() {
		return "", ErrStopping
	}
	// From room version 12 the room ID is the hash of the create event, so
	// two rooms created by one user in the same millisecond would share it:
	// every creation gets a distinct timestamp, and a clash with a stored
	// room (a clock that went back across a restart) moves on by one.
	var (
		r    *core.Room
		effs []*core.Effects
	)
	for attempt := 0; ; attempt++ {
		var err error
		if r, effs, err = core.Create(p, d.cfg.Signer, d.createTimestamp()); err != nil {
			return "", err
		}
		if _, err := d.cfg.Store.Room(r.ID()); errors.Is(err, persistence.ErrNotFound) {
			break
		} else if err != nil {
			return "", err
		}
		if attempt == 100 {
			return "", fmt.Errorf("%w: room %s exists", ErrInternal, r.ID())
		}
	}
	unlock := d.creating.lock(r.ID())
	defer unlock()
	if _, err := d.cfg.Store.Room(r.ID()); err == nil {
		return "", fmt.Errorf("%w: room %s created concurrently", ErrInternal, r.ID())
	}
	b, err := d.cfg.Store.NewRoomBatch()
	if err != nil {
		return "", err
	}
	defer b.Close()
	w := newWriter(d.cfg.Store, r.ID())
	w.begin()
	for _, eff := range effs {
		if err := w.write(b, eff, nil); err != nil {
			return "", fmt.Errorf("%w: %w", ErrCommit, err)
		}
	}
	b.PutRoom(r.ID(), w.info)
	if err := d.cfg.commit(b); err != nil {
		return "", fmt.Errorf("%w: %w", ErrCommit, err)
	}
	d.wakeOutbox(effs)
	return r.ID(), nil
}

// createTimestamp is now in milliseconds, strictly after the previous
// creation's.
func (d *Directory) createTimestamp() int64 {
	for {
		last, now := d.lastCreate.Load(), d.cfg.Now().UnixMilli()
		next := max(now, last+1)
		if d.lastCreate.CompareAndSwap(last, next) {
			return next
		}
	}
}

// Stats describes the directory for metrics and tests.
type Stats struct {
	LiveActors int64
	Flushes    int64
}

// Stats returns current counters.
func (d *Directory) Stats() Stats {
	return Stats{LiveActors: d.live.Load(), Flushes: d.flushes.Load()}
}

// Stop refuses new proposals, lets every room actor finish and commit what
// is queued, and stops the shards. It returns when all have stopped or ctx
// is done.
func (d *Directory) Stop(ctx context.Context) error {
	if d.stopped.Swap(true) {
		return nil
	}
	if err := actors.DrainShards(ctx, d.root, d.shards); err != nil {
		return fmt.Errorf("room: draining actors: %w", err)
	}
	return nil
}
