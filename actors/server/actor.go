package server

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// serverActor delivers this server's PDUs and EDUs to one destination.
type serverActor struct {
	dir  *Directory
	dest string
	log  *zap.Logger

	st   persistence.DestinationState
	edus *eduQueue

	// The transaction in flight or awaiting retry: its body is kept so a
	// retry sends exactly the same transaction.
	txn     *pendingTxn
	sending bool
	more    bool // outbox rows may be waiting beyond the last read
	retry   *time.Timer
	idleT   *time.Timer
	batchT  *time.Timer
	// lastBuild is when the previous transaction was built (batching.go);
	// backlog, that its outbox read was full: a backlog goes out in full
	// transactions back to back, with nothing to gain from waiting.
	lastBuild time.Time
	backlog   bool
	received  uint64 // routed messages received, for the idle handshake
	// incarnation tells this actor's transaction IDs from those of the
	// destination's earlier actors in this process.
	incarnation uint64
	// floor is a stream position below which the destination has no
	// outbox row: reads start there (persistence.OutboxFrom), past the
	// tombstones of the rows already sent.
	floor uint64
	// tdMore: to-device rows (persistence.ToDeviceOutbox) may be waiting
	// at or beyond tdFloor, below which none is left.
	tdMore  bool
	tdFloor uint64
}

// pendingTxn is a built transaction.
type pendingTxn struct {
	id      string
	streams []uint64
	body    []byte
	edus    int
	// canonical: body is canonical JSON, sent through CanonicalSender.
	canonical bool
	// floorAfter is the actor's floor once this transaction's rows are
	// deleted.
	floorAfter uint64
	// toDevice are the seqs of the to-device rows it carries, deleted
	// when it is answered; tdFloorAfter is the actor's tdFloor then.
	toDevice     []uint64
	tdFloorAfter uint64
}

func newServerActor(d *Directory, dest string) *serverActor {
	return &serverActor{dir: d, dest: dest, log: d.cfg.Log.With(zap.String("destination", dest)),
		edus: newEDUQueue(d.cfg.MaxQueuedEDUs), more: true, tdMore: true, incarnation: d.incarnations.Add(1)}
}

// Messages the actor sends itself.
type (
	retryTick struct{}
	idleCheck struct{}
	batchTick struct{}
	// built is a transaction the goroutine read and recorded; nil txn
	// means there was nothing to send.
	built struct {
		txn  *pendingTxn
		full bool // the outbox read was limited: more rows may wait
		// tdFull: the to-device read was limited (or skipped).
		tdFull bool
		floor  uint64 // the floor to keep when there was nothing to send
		err    error
	}
	// sent is the outcome of one attempt.
	sent struct {
		txn *pendingTxn
		err error
	}
)

func (a *serverActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.load()
		a.pump(ctx)
	case wake:
		a.received++
		a.more = true
		a.pump(ctx)
	case wakeToDevice:
		a.received++
		a.tdMore = true
		a.pump(ctx)
	case contacted:
		a.received++
		if a.st.Failures > 0 {
			a.st.Failures, a.st.RetryAtMS = 0, 0
			a.stopRetry()
			a.pump(ctx)
		}
	case EDU:
		a.received++
		if a.st.Failures >= 3 && m.Type == "m.typing" {
			a.dir.shed.Add(1) // a typing notice is worthless by the time a failing server returns
			return
		}
		before := a.edus.shed
		a.edus.push(m)
		a.dir.shed.Add(a.edus.shed - before)
		a.pump(ctx)
	case retryTick:
		a.retry = nil
		a.pump(ctx)
	case batchTick:
		a.batchT = nil
		a.pump(ctx)
	case idleCheck:
		a.idleT = nil
		if a.quiet() {
			ctx.Send(ctx.Parent(), &idle{dest: a.dest, pid: ctx.Self(), received: a.received})
		}
	case built:
		a.onBuilt(ctx, m)
	case sent:
		a.onSent(ctx, m)
	case *actor.Stopping:
		a.stopRetry()
		if a.batchT != nil {
			a.batchT.Stop()
		}
		if a.idleT != nil {
			a.idleT.Stop()
		}
	}
}

// load reads the destination's state once; a transaction recorded in
// flight before a restart is rebuilt from its rows under its own ID.
func (a *serverActor) load() {
	st, err := a.dir.cfg.Store.Destination(a.dest)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		a.log.Warn("reading destination state", zap.Error(err))
	}
	a.st = st
}

// quiet reports that the actor has nothing to do.
func (a *serverActor) quiet() bool {
	return !a.sending && a.txn == nil && !a.more && !a.tdMore && a.edus.len() == 0 && a.st.TxnID == ""
}

// pump starts the next step if none is running: sending the pending
// transaction when its retry time has come, or building the next one.
func (a *serverActor) pump(ctx actor.Context) {
	if a.sending {
		return
	}
	now := a.dir.cfg.Now().UnixMilli()
	if a.st.RetryAtMS > now {
		a.armRetry(ctx, time.Duration(a.st.RetryAtMS-now)*time.Millisecond)
		return
	}
	if a.txn != nil {
		a.send(ctx, a.txn)
		return
	}
	if !a.more && !a.tdMore && a.edus.len() == 0 && a.st.TxnID == "" {
		a.armIdle(ctx)
		return
	}
	if wait := a.batchWait(); wait > 0 {
		a.armBatch(ctx, wait)
		return
	}
	a.lastBuild = a.dir.cfg.Now()
	a.build(ctx)
}

// build reads up to MaxPDUs outbox rows and takes up to MaxEDUs EDUs in a
// goroutine, records the transaction (ID and rows) durably when it holds
// PDUs, and posts it back.
func (a *serverActor) build(ctx actor.Context) {
	a.sending = true
	d, self, dest, incarnation := a.dir, ctx.Self(), a.dest, a.incarnation
	st, floor := a.st, a.floor
	// Durable to-device EDUs are owed, not shed: while some may wait they
	// get at least half of the transaction's EDUs, so a flood of typing
	// or receipts cannot starve them.
	td := toDeviceRead{from: a.tdFloor}
	if a.tdMore {
		td.limit = max(1, d.cfg.MaxEDUs/2)
	}
	edus := a.edus.take(d.cfg.MaxEDUs - td.limit)
	if a.tdMore {
		td.limit = d.cfg.MaxEDUs - len(edus)
	}
	a.more, a.tdMore = false, false
	if !d.work.begin() {
		return // stopping: the actor is about to be stopped too
	}
	go func() {
		defer d.work.end()
		txn, full, next, err := d.buildTxn(dest, incarnation, st, &td, edus, floor)
		d.root.Send(self, built{txn: txn, full: full, tdFull: td.full, floor: next, err: err})
	}()
}

func (a *serverActor) onBuilt(ctx actor.Context, m built) {
	a.sending = false
	// Even after a failed build: to-device rows are owed, and the retry
	// must look for them again.
	a.tdMore = a.tdMore || m.tdFull
	if m.err != nil {
		a.log.Warn("building a transaction", zap.Error(m.err))
		a.fail(ctx, m.err)
		return
	}
	a.more = a.more || m.full
	a.backlog = m.full
	if m.txn == nil {
		// Nothing to send; a recorded transaction whose rows are gone is
		// finished.
		a.floor = max(a.floor, m.floor)
		a.st.TxnID, a.st.Streams = "", nil
		a.pump(ctx)
		return
	}
	if m.txn.id != a.st.TxnID {
		a.st.Seq++
	}
	if len(m.txn.streams) > 0 {
		a.st.TxnID, a.st.Streams = m.txn.id, m.txn.streams
	}
	a.txn = m.txn
	a.send(ctx, m.txn)
}

func (a *serverActor) send(ctx actor.Context, txn *pendingTxn) {
	a.sending = true
	d, self, dest := a.dir, ctx.Self(), a.dest
	st := a.st
	if !d.work.begin() {
		return
	}
	go func() {
		defer d.work.end()
		c, cancel := contextWithTimeout(d.ctx, d.cfg.RequestTimeout)
		var err error
		if cs, ok := d.cfg.Sender.(CanonicalSender); ok && txn.canonical {
			_, err = cs.SendCanonicalTransaction(c, dest, txn.id, txn.body)
		} else {
			_, err = d.cfg.Sender.SendTransaction(c, dest, txn.id, txn.body)
		}
		cancel()
		if err == nil && (len(txn.streams) > 0 || len(txn.toDevice) > 0) {
			st.TxnID, st.Streams, st.Failures, st.RetryAtMS = "", nil, 0, 0
			st.LastSuccessMS = d.cfg.Now().UnixMilli()
			err = d.ackErr(d.acks.ack(dest, txn.streams, txn.toDevice, st))
		}
		d.root.Send(self, sent{txn: txn, err: err})
	}()
}

func (a *serverActor) onSent(ctx actor.Context, m sent) {
	a.sending = false
	if m.err != nil {
		a.dir.failed.Add(1)
		a.fail(ctx, m.err)
		return
	}
	a.dir.sent.Add(1)
	if len(m.txn.streams) > 0 {
		a.more = true // the rows are gone; look for the next ones
	}
	if len(m.txn.toDevice) > 0 {
		a.tdMore = true
		a.tdFloor = max(a.tdFloor, m.txn.tdFloorAfter)
	}
	a.floor = max(a.floor, m.txn.floorAfter)
	a.txn = nil
	a.st.TxnID, a.st.Streams, a.st.Failures, a.st.RetryAtMS = "", nil, 0, 0
	a.st.LastSuccessMS = a.dir.cfg.Now().UnixMilli()
	a.pump(ctx)
}

// fail schedules a retry with backoff; the transaction keeps its ID.
func (a *serverActor) fail(ctx actor.Context, err error) {
	a.st.Failures++
	delay := backoff(a.st.Failures, a.dir.cfg.BackoffBase, a.dir.cfg.BackoffMax, a.dir.cfg.Jitter)
	a.st.RetryAtMS = a.dir.cfg.Now().Add(delay).UnixMilli()
	a.persist()
	if a.st.Failures >= 3 {
		before := a.edus.shed
		a.edus.dropTransient()
		a.dir.shed.Add(a.edus.shed - before)
	}
	if ce := a.log.Check(zap.DebugLevel, "transaction failed"); ce != nil {
		ce.Write(zap.Int("failures", a.st.Failures), zap.Duration("retry_in", delay), zap.Error(err))
	}
	a.armRetry(ctx, delay)
}

// persist records the destination's state (the transaction awaiting retry
// with its rows, the failure count and the retry time) in a goroutine, so
// that a restart resends the same transaction and keeps the backoff
// instead of hammering a server that is down (as Synapse keeps its
// destinations' retry timings).
func (a *serverActor) persist() {
	d, dest, st := a.dir, a.dest, a.st
	st.Streams = append([]uint64(nil), st.Streams...)
	if !d.work.begin() {
		return
	}
	go func() {
		defer d.work.end()
		if err := d.cfg.Store.PutDestination(dest, st); err != nil {
			d.cfg.Log.Warn("recording a destination's backoff", zap.String("destination", dest), zap.Error(err))
		}
	}()
}

func (a *serverActor) armRetry(ctx actor.Context, d time.Duration) {
	if a.retry != nil {
		return
	}
	root, self := a.dir.root, ctx.Self()
	a.retry = time.AfterFunc(max(d, time.Millisecond), func() { root.Send(self, retryTick{}) })
}

func (a *serverActor) stopRetry() {
	if a.retry != nil {
		a.retry.Stop()
		a.retry = nil
	}
}

func (a *serverActor) armIdle(ctx actor.Context) {
	if a.idleT != nil {
		return
	}
	root, self := a.dir.root, ctx.Self()
	a.idleT = time.AfterFunc(a.dir.cfg.IdleTimeout, func() { root.Send(self, idleCheck{}) })
}

// buildTxn reads the outbox and assembles a transaction. A transaction
// recorded in flight (st.TxnID with rows) is rebuilt with the same ID and
// the same rows; otherwise the next ID is used. A new transaction is
// recorded (with its rows) only when its first attempt fails (persist): a
// process that dies with it in flight sends its rows again under a new ID,
// and receivers drop PDUs they already hold by event ID, so recording
// every transaction before sending it would buy nothing for a Pebble write
// per transaction.
//
// floor is where the outbox read starts (no row lies below it); the floor
// returned is where the next read may start once this transaction's rows
// are deleted: past every row read, and no further than the stream
// watermark read before the outbox (a room batch holding a lower position
// may still be committing).
func (d *Directory) buildTxn(dest string, incarnation uint64, st persistence.DestinationState, td *toDeviceRead, edus []federation.EDU, floor uint64) (*pendingTxn, bool, uint64, error) {
	var streams, nids, toDevice []uint64
	td.full = td.limit > 0 // until a read of the rows says otherwise
	full := false
	next := floor
	txnID := st.TxnID
	if txnID != "" && len(st.Streams) > 0 {
		rows, err := d.cfg.Store.Outbox(dest, 1<<20)
		if err != nil {
			return nil, false, floor, err
		}
		want := make(map[uint64]bool, len(st.Streams))
		for _, s := range st.Streams {
			want[s] = true
		}
		for _, r := range rows {
			if want[r.Stream] {
				streams, nids = append(streams, r.Stream), append(nids, r.NID)
			}
		}
		full = true
		// A recorded transaction goes again as it was first built, with no
		// to-device rows added: the destination may hold its ID already
		// and would skip them. They go in the next transaction (td.full
		// stays set).
	} else {
		visible, werr := d.cfg.Store.StreamPosition()
		rows, err := d.cfg.Store.OutboxFrom(dest, floor, d.cfg.MaxPDUs)
		if err != nil {
			return nil, false, floor, err
		}
		full = len(rows) == d.cfg.MaxPDUs
		if werr == nil {
			next = visible + 1
			if full {
				next = min(next, rows[len(rows)-1].Stream+1)
			}
			next = max(next, floor)
		}
		for _, r := range rows {
			streams, nids = append(streams, r.Stream), append(nids, r.NID)
		}
		txnID = d.txnID(incarnation, st.Seq+1)
		var tdEDUs []federation.EDU
		toDevice, tdEDUs, err = td.read(d.cfg.Store, dest)
		if err != nil {
			return nil, false, floor, err
		}
		edus = append(tdEDUs, edus...)
	}
	if len(nids) == 0 && len(edus) == 0 {
		return nil, false, next, nil
	}
	pdus, allCanonical, err := d.pdus.get(d.cfg.Store, nids)
	if err != nil {
		return nil, false, floor, err
	}
	ts := d.cfg.Now().UnixMilli()
	if _, ok := d.cfg.Sender.(CanonicalSender); ok && allCanonical && !d.cfg.NoCanonicalBodies {
		if body, err := federation.EncodeCanonicalTransaction(d.cfg.ServerName, ts, pdus, edus); err == nil {
			return &pendingTxn{id: txnID, streams: streams, body: body, edus: len(edus), canonical: true, floorAfter: next, toDevice: toDevice, tdFloorAfter: td.floor}, full, next, nil
		}
	}
	body := federation.EncodeTransaction(d.cfg.ServerName, ts, pdus, edus)
	return &pendingTxn{id: txnID, streams: streams, body: body, edus: len(edus), floorAfter: next, toDevice: toDevice, tdFloorAfter: td.floor}, full, next, nil
}

// txnID names a new transaction: the directory's epoch, the actor's
// incarnation and its counter. Only transactions with PDUs record their
// counter in Pebble, so a passivated actor's successor, which starts from
// the recorded counter, is told apart by its incarnation.
func (d *Directory) txnID(incarnation, seq uint64) string {
	return d.epoch + "." + itoa(incarnation) + "." + itoa(seq)
}

// ackErr marks a failure to record an acknowledged transaction: the rows
// stay and go again (the receiver dedupes the transaction ID).
func (d *Directory) ackErr(err error) error {
	if err != nil {
		d.cfg.Log.Warn("recording a delivered transaction", zap.Error(err))
	}
	return err
}
