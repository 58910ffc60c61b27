package user

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
)

// Config configures a Directory. Zero values get the defaults noted.
type Config struct {
	Store *persistence.Store
	// Shards is the number of routing shards (default 16).
	Shards int
	// IdleTimeout passivates a user actor after this long without a command
	// (default 2 minutes).
	IdleTimeout time.Duration
	// CacheSize bounds the access-token cache (default 100 000 entries).
	CacheSize int
	// MaxInFlight bounds commands waiting for a reply across all users
	// (default 10 000); beyond it commands fail with ErrBusy.
	MaxInFlight int64
	// AccessTokenLifetime is 0 for non-expiring tokens; refreshing clients
	// get DefaultRefreshingAccessTokenLifetime then.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Directory is the entry point to user actors.
type Directory struct {
	cfg      Config
	root     *actor.RootContext
	shards   []*actor.PID
	seed     maphash.Seed
	cache    *tokenCache
	inFlight atomic.Int64
	live     atomic.Int64
	stopped  atomic.Bool
	// profileHook is told of profile changes (userdata_reads.go).
	profileHook atomic.Pointer[ProfileHook]
	// syncHooks wake parked syncs (sync_waiters.go).
	syncHooks syncHooks
}

// NewDirectory spawns the shards in sys.
func NewDirectory(sys *actors.System, cfg Config) (*Directory, error) {
	if cfg.Store == nil {
		return nil, errors.New("user: Config.Store is nil")
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 16
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 100_000
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Directory{cfg: cfg, root: sys.Actor.Root, seed: maphash.MakeSeed(), cache: newTokenCache(cfg.CacheSize)}
	for range cfg.Shards {
		sh := newShard(d)
		d.shards = append(d.shards, d.root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sh })))
	}
	return d, nil
}

func (d *Directory) shardFor(localpart string) *actor.PID {
	return d.shards[maphash.String(d.seed, localpart)%uint64(len(d.shards))]
}

// Do applies cmd as localpart's actor and waits for the result until ctx
// is done. cmd is one of the exported command types of this package.
func (d *Directory) Do(ctx context.Context, localpart string, cmd Command) (any, error) {
	if d.stopped.Load() {
		return nil, ErrStopping
	}
	if d.inFlight.Add(1) > d.cfg.MaxInFlight {
		d.inFlight.Add(-1)
		return nil, ErrBusy
	}
	defer d.inFlight.Add(-1)
	env := &envelope{localpart: localpart, cmd: cmd, reply: make(chan result, 1)}
	d.root.Send(d.shardFor(localpart), env)
	select {
	case r := <-env.reply:
		return r.val, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
}

// Touch notes that the session's device was used from ip; it does not wait
// and drops the note when the directory is stopping or saturated.
func (d *Directory) Touch(s Session, ip string) {
	if d.stopped.Load() || d.inFlight.Load() >= d.cfg.MaxInFlight {
		return
	}
	d.root.Send(d.shardFor(s.Localpart), &envelope{localpart: s.Localpart, cmd: touch{deviceID: s.DeviceID, ip: ip}})
}

// Register creates an account (and a first device unless r.Login is nil).
func (d *Directory) Register(ctx context.Context, r Registration) (Credentials, error) {
	return credentials(d.Do(ctx, r.Localpart, r))
}

// Login opens a new session for localpart.
func (d *Directory) Login(ctx context.Context, localpart string, l Login) (Credentials, error) {
	return credentials(d.Do(ctx, localpart, l))
}

// Refresh rotates a refresh token (spec: POST /refresh).
func (d *Directory) Refresh(ctx context.Context, refreshToken string) (Credentials, error) {
	h := persistence.HashToken(refreshToken)
	rt, err := d.cfg.Store.RefreshToken(h)
	if errors.Is(err, persistence.ErrNotFound) {
		return Credentials{}, ErrUnknownToken
	}
	if err != nil {
		return Credentials{}, err
	}
	return credentials(d.Do(ctx, rt.Localpart, refresh{hash: h}))
}

func credentials(v any, err error) (Credentials, error) {
	if err != nil {
		return Credentials{}, err
	}
	c, _ := v.(Credentials)
	return c, nil
}

// Resolve returns the session an access token belongs to: ErrUnknownToken
// if there is none, ErrTokenExpired if it has expired (a soft logout).
func (d *Directory) Resolve(token string) (Session, error) {
	h := persistence.HashToken(token)
	tok, ok, gen := d.cache.get(h)
	if !ok {
		var err error
		tok, err = d.cfg.Store.AccessToken(h)
		if errors.Is(err, persistence.ErrNotFound) {
			return Session{}, ErrUnknownToken
		}
		if err != nil {
			return Session{}, err
		}
		d.cache.addIf(h, tok, gen)
	}
	if tok.ExpiresMS != 0 && d.cfg.Now().UnixMilli() >= tok.ExpiresMS {
		return Session{}, ErrTokenExpired
	}
	if tok.PrevRefresh != nil {
		// First use of a refreshed token: retire the old refresh token in
		// the background; resolution itself stays a read.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = d.Do(ctx, tok.Localpart, retirePrevious{access: h})
		}()
	}
	return Session{Localpart: tok.Localpart, DeviceID: tok.DeviceID, TokenHash: h, Guest: tok.Guest}, nil
}

// Stats describes the directory for metrics and tests.
type Stats struct {
	LiveActors int64
	InFlight   int64
	Cache      CacheStats
}

// Stats returns current counters.
func (d *Directory) Stats() Stats {
	return Stats{LiveActors: d.live.Load(), InFlight: d.inFlight.Load(), Cache: d.cache.stats()}
}

// Stop refuses new commands, lets every user actor finish what is queued,
// and stops the shards. It returns when all have stopped or ctx is done.
func (d *Directory) Stop(ctx context.Context) error {
	if d.stopped.Swap(true) {
		return nil
	}
	if err := actors.DrainShards(ctx, d.root, d.shards); err != nil {
		return fmt.Errorf("user: draining actors: %w", err)
	}
	return nil
}
