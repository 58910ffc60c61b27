package e2ee

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// Errors of the service.
var (
	ErrClosed = errors.New("e2ee: service closed")
	ErrNoPeer = errors.New("e2ee: federation is not configured")
)

// Bounds of the service.
const (
	// DefaultTimeout is how long a key query or claim waits for remote
	// servers when the client names no timeout (client-server-api
	// "Querying keys": timeout defaults to 10 seconds).
	DefaultTimeout = 10 * time.Second
	// MaxTimeout caps a client's timeout.
	MaxTimeout = 60 * time.Second
	// maxResyncs bounds the /user/devices resyncs in flight.
	maxResyncs = 8
	// resyncTimeout bounds one resync.
	resyncTimeout = 30 * time.Second
	// maxWatchers bounds the local users remembered per remote list.
	maxWatchers = 64
	// maxCachedDevices bounds the devices cached per remote user; a user
	// with more is always asked of their server.
	maxCachedDevices = 1000
)

// Config is what the service needs from the homeserver.
type Config struct {
	ServerName string
	Store      *persistence.Store
	// Client makes the requests to other servers; nil keeps every remote
	// query and claim a failure.
	Client *federation.Client
	// SendEDU queues an EDU for a destination's server actor; nil drops
	// outbound EDUs. It must not block.
	SendEDU func(destination string, e federation.EDU)
	// WakeToDevice tells the server actors of destinations that their
	// durable to-device outbox has new rows (SendToDevice); nil means
	// there is no federation, and remote to-device messages are dropped.
	// It must not block.
	WakeToDevice func(destinations []string)
	// Changed hears that userID's device list changed, to wake the /sync
	// requests of local users sharing a room with them; watchers are the
	// local users known to follow the list (RemoteDeviceList.Watchers). It
	// must not block.
	Changed func(userID string, watchers []string)
	Log     *zap.Logger
	Now     func() time.Time
}

// Service is the federation side of E2EE for one homeserver.
type Service struct {
	cfg Config

	// cacheMu serialises the read-modify-write cycles on the remote
	// device-list cache; it is never held across network I/O.
	cacheMu sync.Mutex

	mu        sync.Mutex
	closed    bool
	pending   map[string]bool // localparts whose changes await publishing
	order     []string
	running   bool
	resyncing map[string]bool
	rooms     roomServers
	bg        sync.WaitGroup
	resyncs   chan struct{}
	// base is cancelled by Close, ending resyncs in flight.
	base       context.Context
	cancelBase context.CancelFunc
}

// New returns a service for cfg.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	base, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, pending: map[string]bool{}, resyncing: map[string]bool{},
		resyncs: make(chan struct{}, maxResyncs), base: base, cancelBase: cancel}
}

// Close stops accepting background work and waits for the work in
// progress (publishing and resyncs) to finish.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancelBase()
	s.bg.Wait()
}

// goBackground runs f in a tracked goroutine unless the service is closed.
func (s *Service) goBackground(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
	return true
}

// ClampTimeout turns a client's timeout in milliseconds (nil: none) into
// the deadline the remote requests get.
func ClampTimeout(ms *int) time.Duration {
	if ms == nil {
		return DefaultTimeout
	}
	d := time.Duration(*ms) * time.Millisecond
	switch {
	case d <= 0:
		return DefaultTimeout
	case d > MaxTimeout:
		return MaxTimeout
	}
	return d
}
