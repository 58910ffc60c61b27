package room

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/axonhs/axon/actors"

	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// passivate is sent by an idle room actor to its shard.
type passivate struct {
	roomID string
	pid    *actor.PID
}

// pending is a proposal applied to the in-memory room, waiting for its
// batch to commit.
type pending struct {
	eff *core.Effects
	// outlier, when set, makes the pending event an outlier: stored by ID
	// only, outside the timeline (outlier.go).
	outlier *queuedOutlier
	txn     *Txn
	replies []chan result
	stream  uint64 // the event's stream position, once written to a batch
}

// roomActor applies the proposals of one room, one at a time, and commits
// them in coalesced batches.
type roomActor struct {
	dir    *Directory
	roomID string
	room   *core.Room // nil until loaded, and after a failure
	w      *writer

	pending   []*pending
	txns      map[string]*pending // txn key → pending proposal, for retries within a batch
	scheduled bool                // a flushNow is in the mailbox

	inflight     []*pending // the batch being committed (PipelineCommits)
	inflightDone chan error
	staleState   bool // a redaction changed the state the room core holds

	idle    *actors.IdleTimer
	retired bool // passivation requested
}

func (a *roomActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.idle.Start(ctx.Self())
	case *envelope:
		a.idle.Touch()
		a.propose(ctx, m)
	case flushNow:
		a.scheduled = false
		a.flush(ctx)
	case committed:
		a.committed(ctx)
	case actors.IdleTick:
		if a.retired || !a.idle.Tick(len(a.pending) > 0) {
			return
		}
		a.retire(ctx)
	case *actor.Stopping:
		a.idle.Stop()
		// Messages sent to ourselves after the poison never arrive: finish
		// the commit in flight and commit what is pending here.
		a.awaitInflight()
		a.flush(nil)
	}
}

// retire asks the shard to passivate this actor; the shard stops routing to
// it first, then poisons it, so proposals already queued still run here.
func (a *roomActor) retire(ctx actor.Context) {
	if a.retired {
		return
	}
	a.retired = true
	ctx.Send(ctx.Parent(), &passivate{roomID: a.roomID, pid: ctx.Self()})
}

func txnKey(t *Txn) string { return t.UserID + "\x00" + t.DeviceID + "\x00" + t.ID }

func (a *roomActor) propose(ctx actor.Context, m *envelope) {
	eventID, err, queued := a.tryPropose(m)
	if !queued {
		m.reply <- result{eventID: eventID, err: err}
		if a.room == nil && len(a.pending) == 0 && errors.Is(err, ErrUnknownRoom) {
			// Nothing to keep for a room this server does not hold: retire
			// at once, so requests for made-up room IDs leave no actors.
			a.retire(ctx)
		}
		return
	}
	if len(a.pending) >= a.dir.cfg.MaxBatch && a.inflight == nil {
		a.flush(ctx)
		return
	}
	if !a.scheduled {
		a.scheduled = true
		ctx.Send(ctx.Self(), flushNow{})
	}
}

// tryPropose applies m to the room; queued reports that its reply waits for
// the next flush. A panic is a broken invariant: the room is discarded and
// reloaded from Pebble on the next proposal, and this request fails.
func (a *roomActor) tryPropose(m *envelope) (eventID string, err error, queued bool) {
	defer func() {
		if r := recover(); r != nil {
			a.fail(fmt.Errorf("%w: panic: %v", ErrInternal, r))
			eventID, err, queued = "", fmt.Errorf("%w: panic: %v", ErrInternal, r), false
		}
	}()
	if a.room == nil {
		if a.room, a.w, err = load(a.dir.cfg.Store, a.roomID, a.dir.cfg.Signer); err != nil {
			a.room, a.w = nil, nil
			return "", err, false
		}
	}
	if m.step != nil {
		return a.applyStep(m)
	}
	if m.backfill != nil {
		return a.applyBackfill(m)
	}
	if m.outliers != nil {
		return a.applyOutliers(m)
	}
	if m.txn != nil {
		if p, ok := a.txns[txnKey(m.txn)]; ok {
			if p.txn.Request != m.txn.Request {
				return "", ErrTxnReused, false
			}
			p.replies = append(p.replies, m.reply)
			return "", nil, true
		}
		rec, err := a.dir.cfg.Store.Txn(m.txn.UserID, m.txn.DeviceID, m.txn.ID)
		switch {
		case err == nil && rec.RequestHash != m.txn.Request:
			return "", ErrTxnReused, false
		case err == nil:
			return rec.EventID, nil, false
		case !errors.Is(err, persistence.ErrNotFound):
			return "", err, false
		}
	}
	p := m.proposal
	if m.join != nil {
		p = a.joinProposal(*m.join)
	}
	if m.profile != nil {
		var needed bool
		if p, needed, err = a.profileProposal(*m.profile); err != nil || !needed {
			return "", err, false
		}
	}
	if p.Redacts != "" && p.RedactTarget == nil {
		if rec, err := a.w.lookup(p.Redacts); err == nil {
			if p.RedactTarget, err = rec.Event(); err != nil {
				return "", err, false
			}
		}
	}
	if a.dir.cfg.beforePropose != nil {
		a.dir.cfg.beforePropose(p)
	}
	eff, err := a.room.Propose(p, a.dir.cfg.Now().UnixMilli())
	if err != nil {
		return "", err, false
	}
	pe := &pending{eff: eff, txn: m.txn, replies: []chan result{m.reply}}
	a.pending = append(a.pending, pe)
	if m.txn != nil {
		if a.txns == nil {
			a.txns = make(map[string]*pending)
		}
		a.txns[txnKey(m.txn)] = pe
	}
	return "", nil, true
}

// flush commits every pending proposal as one batch, then replies. The
// rows are built here; the commit (fsync) runs here too, or, with
// Config.PipelineCommits, in a goroutine that posts committed back while
// the actor goes on applying proposals for the next batch. With ctx nil it
// always commits here. One batch is in flight at a time, so batches commit
// in order.
func (a *roomActor) flush(ctx actor.Context) {
	if len(a.pending) == 0 || a.inflight != nil {
		return
	}
	batch := a.pending
	a.pending = nil
	b, err := a.prepare(batch)
	if err != nil {
		a.finish(batch, err)
		return
	}
	if ctx == nil || !a.dir.cfg.PipelineCommits {
		a.finish(batch, a.dir.commitBatch(b))
		return
	}
	a.inflight = batch
	done := make(chan error, 1)
	a.inflightDone = done
	d, self := a.dir, ctx.Self()
	go func() {
		done <- d.commitBatch(b)
		d.root.Send(self, committed{})
	}()
}

// committed tells the actor its batch in flight has been committed (or
// failed).
type committed struct{}

func (a *roomActor) committed(ctx actor.Context) {
	if a.inflight == nil {
		return // already finished by awaitInflight
	}
	a.awaitInflight()
	if len(a.pending) > 0 {
		a.flush(ctx)
	}
}

// awaitInflight waits for the batch in flight, if any, and finishes it.
func (a *roomActor) awaitInflight() {
	if a.inflight == nil {
		return
	}
	batch, err := a.inflight, <-a.inflightDone
	a.inflight, a.inflightDone = nil, nil
	a.finish(batch, err)
}

// finish replies to a batch's requests. On failure the room and writer are
// discarded (they are ahead of storage), and the proposals applied on top of
// the failed batch fail with it.
func (a *roomActor) finish(batch []*pending, err error) {
	if err == nil {
		a.notifyCommitted(batch)
	}
	if err != nil {
		batch = append(batch, a.pending...)
		a.pending, a.txns, a.room, a.w = nil, nil, nil, nil
	} else {
		for _, p := range batch {
			if p.txn != nil {
				delete(a.txns, txnKey(p.txn))
			}
		}
		if a.w != nil && a.w.redactedState {
			a.staleState = true
		}
		if a.staleState && len(a.pending) == 0 {
			// Reload so the auth rules read the redacted state.
			a.room, a.w, a.staleState = nil, nil, false
		}
	}
	for _, p := range batch {
		r := result{eventID: p.eff.Event.ID}
		if err != nil {
			r = result{err: err}
		}
		for _, ch := range p.replies {
			ch <- r
		}
	}
}

// prepare writes a batch's rows into a new RoomBatch.
func (a *roomActor) prepare(batch []*pending) (b *persistence.RoomBatch, err error) {
	defer func() {
		if r := recover(); r != nil {
			if b != nil {
				b.Close()
			}
			b, err = nil, fmt.Errorf("%w: panic: %v", ErrInternal, r)
		}
	}()
	if b, err = a.dir.cfg.Store.NewRoomBatch(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCommit, err)
	}
	a.w.begin()
	for _, p := range batch {
		write := func() error { return a.w.write(b, p.eff, p.txn) }
		if p.outlier != nil {
			write = func() error { return a.w.writeOutlier(b, p.outlier) }
		}
		if err := write(); err != nil {
			b.Close()
			return nil, fmt.Errorf("%w: %w", ErrCommit, err)
		}
		if rec := a.w.batch[p.eff.Event.ID]; rec != nil {
			p.stream = rec.Stream
		}
	}
	b.PutRoom(a.roomID, a.w.info)
	return b, nil
}

// commitBatch commits b with fsync; it touches no actor state, so it may
// run outside the actor.
func (d *Directory) commitBatch(b *persistence.RoomBatch) error {
	defer b.Close()
	if err := d.cfg.commit(b); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	d.flushes.Add(1)
	return nil
}

// fail discards the room after a panic and fails everything pending. A
// batch in flight is waited for first, so that the reload sees it.
func (a *roomActor) fail(err error) {
	a.awaitInflight()
	for _, p := range a.pending {
		for _, ch := range p.replies {
			ch <- result{err: err}
		}
	}
	a.pending, a.txns, a.room, a.w = nil, nil, nil, nil
}
