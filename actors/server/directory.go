package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// Sender sends one transaction; *federation.Client is one.
type Sender interface {
	SendTransaction(ctx context.Context, destination, txnID string, body json.RawMessage) (federation.SendResult, error)
}

// CanonicalSender is a Sender that also sends bodies already in canonical
// JSON without re-encoding them to sign them; *federation.Client is one.
// The directory uses it whenever every PDU of a transaction is canonical.
type CanonicalSender interface {
	SendCanonicalTransaction(ctx context.Context, destination, txnID string, body []byte) (federation.SendResult, error)
}

// Config configures a Directory. Zero values get the defaults noted.
type Config struct {
	// ServerName is this server: the origin of every transaction.
	ServerName string
	Store      *persistence.Store
	Sender     Sender
	Log        *zap.Logger
	// Shards is the number of routing shards (default 8).
	Shards int
	// IdleTimeout passivates an actor with nothing to send after this
	// long (default 1 minute).
	IdleTimeout time.Duration
	// MaxPDUs and MaxEDUs bound one transaction (defaults, and maxima, 50
	// and 100: server-server-api "Transactions").
	MaxPDUs, MaxEDUs int
	// MaxQueuedEDUs bounds the EDUs waiting for one destination (default
	// 1000); beyond it the oldest are shed.
	MaxQueuedEDUs int
	// BackoffBase and BackoffMax shape the retry delay after failures
	// (defaults 2 seconds and 1 hour).
	BackoffBase, BackoffMax time.Duration
	// RequestTimeout bounds one transaction request (default 60 seconds).
	RequestTimeout time.Duration
	// MaxBatchDelay and TxnRateBudget let transactions grow under load: a
	// destination's next transaction starts no sooner than live
	// destinations ÷ TxnRateBudget after its previous one, at most
	// MaxBatchDelay (defaults 200 ms and 2000 transactions/s; a negative
	// MaxBatchDelay turns the delay off). A message to a destination that
	// sent nothing for that long leaves at once, so a quiet room pays
	// nothing; a busy one trades up to MaxBatchDelay of latency for
	// transactions of many PDUs, since each transaction costs a signature
	// over its body, a request and an outbox read whatever it holds.
	MaxBatchDelay time.Duration
	TxnRateBudget int
	// NoCanonicalBodies makes every transaction go through
	// Sender.SendTransaction even when the Sender is a CanonicalSender
	// (for comparisons).
	NoCanonicalBodies bool
	// PDUCacheBytes bounds the PDU bytes shared between destinations
	// (default 32 MiB).
	PDUCacheBytes int
	// Now is the clock (default time.Now); Jitter returns a number in
	// [0, 1) (default math/rand/v2).
	Now    func() time.Time
	Jitter func() float64
}

// Directory is the entry point to the server actors.
type Directory struct {
	cfg     Config
	root    *actor.RootContext
	shards  []*actor.PID
	seed    maphash.Seed
	epoch   string
	pdus    *pduCache
	acks    *acker
	stopped atomic.Bool
	// ctx is cancelled by Stop, ending requests in flight; work counts
	// the goroutines that use the store, which Stop waits for.
	ctx    context.Context
	cancel context.CancelFunc
	work   workTracker

	live, sent, failed, shed atomic.Int64
	incarnations             atomic.Uint64
}

// NewDirectory spawns the shards in sys.
func NewDirectory(sys *actors.System, cfg Config) (*Directory, error) {
	if cfg.Store == nil || cfg.Sender == nil || cfg.ServerName == "" {
		return nil, errors.New("server: Config needs Store, Sender and ServerName")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 8
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = time.Minute
	}
	if cfg.MaxPDUs <= 0 || cfg.MaxPDUs > federation.MaxTransactionPDUs {
		cfg.MaxPDUs = federation.MaxTransactionPDUs
	}
	if cfg.MaxEDUs <= 0 || cfg.MaxEDUs > federation.MaxTransactionEDUs {
		cfg.MaxEDUs = federation.MaxTransactionEDUs
	}
	if cfg.MaxQueuedEDUs <= 0 {
		cfg.MaxQueuedEDUs = 1000
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 2 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = time.Hour
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxBatchDelay == 0 {
		cfg.MaxBatchDelay = 200 * time.Millisecond
	}
	if cfg.TxnRateBudget <= 0 {
		cfg.TxnRateBudget = 2000
	}
	if cfg.PDUCacheBytes <= 0 {
		cfg.PDUCacheBytes = 32 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = defaultJitter
	}
	d := &Directory{cfg: cfg, root: sys.Actor.Root, seed: maphash.MakeSeed(), pdus: newPDUCache(cfg.PDUCacheBytes),
		// Transaction IDs are this epoch and a per-destination counter: IDs
		// of a later run never repeat an earlier one's, which the receiver
		// would take for a resend and skip.
		epoch: fmt.Sprintf("%x", cfg.Now().UnixNano())}
	d.acks = newAcker(cfg.Store)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for range cfg.Shards {
		sh := newShard(d)
		d.shards = append(d.shards, d.root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sh })))
	}
	return d, nil
}

func (d *Directory) shardFor(dest string) *actor.PID {
	return d.shards[maphash.String(d.seed, dest)%uint64(len(d.shards))]
}

func (d *Directory) route(dest string, m any) {
	if d.stopped.Load() || dest == "" || dest == d.cfg.ServerName {
		return
	}
	d.root.Send(d.shardFor(dest), &routed{dest: dest, msg: m})
}

// Wake tells the destinations' actors that their outbox has new rows (the
// room directory's OnOutbox hook). It never blocks.
func (d *Directory) Wake(destinations []string) {
	for _, dest := range destinations {
		d.route(dest, wake{})
	}
}

// SendEDU queues an EDU for destination. It never blocks.
func (d *Directory) SendEDU(destination string, e EDU) {
	d.route(destination, e)
}

// Contacted tells destination's actor that the server has just reached us
// (a verified inbound request): it is up, so a pending retry starts now
// and the backoff resets (the X-Matrix middleware's hook).
func (d *Directory) Contacted(origin string) {
	d.route(origin, contacted{})
}

// Recover starts the actors of every destination with queued PDUs or
// to-device EDUs, after a restart: nothing queued before it stays unsent.
func (d *Directory) Recover() error {
	dests, err := d.cfg.Store.OutboxDestinations()
	if err != nil {
		return fmt.Errorf("server: listing outboxes: %w", err)
	}
	d.Wake(dests)
	dests, err = d.cfg.Store.ToDeviceOutboxDestinations()
	if err != nil {
		return fmt.Errorf("server: listing to-device outboxes: %w", err)
	}
	d.WakeToDevice(dests)
	return nil
}

// Stats describes the directory for metrics, tests and benchmarks.
type Stats struct {
	LiveActors int64
	// Sent and Failed count transaction attempts; ShedEDUs the EDUs
	// dropped under pressure.
	Sent, Failed, ShedEDUs int64
}

// Stats returns current counters.
func (d *Directory) Stats() Stats {
	return Stats{LiveActors: d.live.Load(), Sent: d.sent.Load(), Failed: d.failed.Load(), ShedEDUs: d.shed.Load()}
}

// Stop stops every server actor and the shards; transactions in flight are
// abandoned (their rows stay in the outbox, resent under the same ID after
// a restart).
func (d *Directory) Stop(ctx context.Context) error {
	if d.stopped.Swap(true) {
		return nil
	}
	d.cancel()
	for _, pid := range d.shards {
		d.root.Poison(pid)
	}
	done := make(chan struct{})
	go func() { d.work.closeAndWait(); d.acks.stop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: stopping: %w", ctx.Err())
	}
}
