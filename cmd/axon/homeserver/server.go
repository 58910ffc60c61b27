package homeserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/configs"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/client"
	"github.com/axonhs/axon/http/e2ee"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// Sentinel errors of the assembly.
var (
	ErrNoSigningKey = errors.New("homeserver: signing key file holds no key")
	ErrStarted      = errors.New("homeserver: already started")
	// ErrStoreLeftOpen reports a shutdown whose actors did not drain in
	// time, so Pebble was not closed.
	ErrStoreLeftOpen = errors.New("homeserver: actors did not drain; store left open")
)

// Server is one assembled homeserver.
type Server struct {
	cfg   configs.Config
	log   *zap.Logger
	store *persistence.Store
	key   signing.KeyPair
	sys   *actors.System
	users *user.Directory
	rooms *room.Directory

	fed federationParts
	// e2ee is the federation side of end-to-end encryption (e2ee.go).
	e2ee *e2ee.Service

	client, federation *fasthttp.Server
	// clientAPI is the client API, for the room actors' commit hook.
	clientAPI              atomic.Pointer[client.API]
	tlsConfig              *tls.Config
	clientLn, federationLn net.Listener
	// debug serves profiles when listeners.debug is set (debug.go).
	debug   *fasthttp.Server
	debugLn net.Listener

	mu       sync.Mutex
	started  bool
	shutdown bool
	serving  sync.WaitGroup
}

// New opens the Pebble store (FormatNewest) at cfg.Database.Path, loads the
// signing key from cfg.SigningKeyPath, starts the actor system and prepares
// both listeners. Paths left empty are taken under cfg.DataDir as
// configs.Config.Derive places them; cfg itself is not modified.
func New(cfg *configs.Config, log *zap.Logger) (*Server, error) {
	if log == nil {
		log = zap.NewNop()
	}
	c := *cfg
	c.Derive()
	s := &Server{cfg: c, log: log}

	key, err := loadSigningKey(c.SigningKeyPath)
	if err != nil {
		return nil, err
	}
	s.key = key
	cert, err := tls.LoadX509KeyPair(c.Listeners.TLSCert, c.Listeners.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("homeserver: loading TLS certificate %s: %w", c.Listeners.TLSCert, err)
	}
	s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if err := s.prepareFederation(); err != nil {
		return nil, err
	}

	if err := os.MkdirAll(filepath.Dir(c.Database.Path), 0o700); err != nil {
		return nil, fmt.Errorf("homeserver: creating data directory: %w", err)
	}
	if s.store, err = persistence.Open(c.Database.Path, persistence.Options{Logger: pebbleLogger{log.Named("pebble").Sugar()}}); err != nil {
		return nil, err
	}
	s.sys = actors.NewSystem(slog.New(zapslog.NewHandler(log.Named("protoactor").Core())))
	s.users, err = user.NewDirectory(s.sys, user.Config{
		Store:                s.store,
		AccessTokenLifetime:  time.Duration(c.AccessTokenLifetime),
		RefreshTokenLifetime: time.Duration(c.RefreshTokenLifetime),
	})
	if err != nil {
		s.sys.Shutdown()
		_ = s.store.Close()
		return nil, err
	}
	if s.rooms, err = s.newRooms(); err != nil {
		s.sys.Shutdown()
		_ = s.store.Close()
		return nil, err
	}
	s.e2ee = s.newE2EE()
	s.client = s.clientServer()
	s.federation = s.federationServer()
	if err := s.e2ee.Recover(); err != nil {
		log.Error("resuming device-list announcements", zap.Error(err))
	}
	log.Info("homeserver ready", zap.String("server_name", c.ServerName), zap.String("signing_key", string(key.ID)),
		zap.String("database", c.Database.Path))
	return s, nil
}

func loadSigningKey(path string) (signing.KeyPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return signing.KeyPair{}, fmt.Errorf("homeserver: opening signing key: %w", err)
	}
	defer f.Close()
	keys, err := signing.ReadKeyFile(f)
	if err != nil {
		return signing.KeyPair{}, fmt.Errorf("homeserver: reading signing key %s: %w", path, err)
	}
	if len(keys) == 0 {
		return signing.KeyPair{}, fmt.Errorf("%w: %s", ErrNoSigningKey, path)
	}
	return keys[0], nil
}

// limiter returns a token-bucket limiter, or nil when rate limits are off.
func (s *Server) limiter(perSecond float64, burst int) *axhttp.Limiter {
	if !s.cfg.RateLimits.Enabled {
		return nil
	}
	return axhttp.NewLimiter(perSecond, burst, 100_000, nil)
}

func (s *Server) clientServer() *fasthttp.Server {
	rl := s.cfg.RateLimits
	log := s.log.Named("client")
	rt := axhttp.NewRouter(log, s.limiter(rl.PerSecond, rl.Burst))
	api := client.New(client.Config{
		ServerName:                s.cfg.ServerName,
		Users:                     s.users,
		Rooms:                     s.rooms,
		Store:                     s.store,
		Log:                       log,
		EnableRegistration:        s.cfg.EnableRegistration,
		RegistrationRequiresToken: s.cfg.RegistrationRequiresToken,
		AllowGuests:               s.cfg.AllowGuestAccess,
		SharedSecret:              s.cfg.RegistrationSharedSecret,
		BcryptCost:                s.cfg.BcryptRounds,
		PerUser:                   s.limiter(rl.PerSecond, rl.Burst),
		Login:                     s.limiter(rl.LoginPerSecond, rl.LoginBurst),
		WellKnownServer:           s.wellKnownServer,
		TurnURIs:                  s.cfg.TurnURIs,
		TurnSharedSecret:          s.cfg.TurnSharedSecret,
		TurnUserLifetime:          time.Duration(s.cfg.TurnUserLifetime),
		UsePresence:               s.cfg.UsePresence,
		SyncMaxTimeout:            time.Duration(s.cfg.SyncMaxTimeout),
		DefaultRoomVersion:        version.ID(s.cfg.DefaultRoomVersion),
		DeviceListPosition:        client.DeviceListPositionOf,
		Federate:                  ephemeral{s},
		Federation:                s.handshake,
		E2EE:                      s.e2ee,
	})
	s.clientAPI.Store(api)
	s.users.OnDeviceListChange(s.deviceListChanged)
	api.Mount(rt)
	return axhttp.NewServer("Axon", rt, clientMaxBody, log)
}

// clientMaxBody is the largest body any client route accepts; routes set
// their own, smaller limits.
const clientMaxBody = 1 << 20

// wellKnownServer is server_name's host with the federation listener's
// bound port, for /.well-known/matrix/server.
func (s *Server) wellKnownServer() string {
	_, port, err := net.SplitHostPort(s.FederationAddr())
	if err != nil || port == "0" {
		return ""
	}
	host := s.cfg.ServerName
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return net.JoinHostPort(host, port)
}

// SigningKeyID is the ID of the key this server signs with ("ed25519:…").
func (s *Server) SigningKeyID() string { return string(s.key.ID) }
