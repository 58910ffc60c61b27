package client

import (
	"context"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/e2ee"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/version"
)

// Config is what the client API needs from the homeserver.
type Config struct {
	ServerName string
	Users      *user.Directory
	Store      *persistence.Store
	Log        *zap.Logger
	// Rooms is the room actor directory; nil leaves the room write
	// endpoints unmounted.
	Rooms *room.Directory
	// DefaultRoomVersion is the version POST /createRoom uses when the
	// client names none; "" means rooms/version.Default.
	DefaultRoomVersion version.ID

	EnableRegistration        bool
	RegistrationRequiresToken bool
	AllowGuests               bool
	// SharedSecret enables /_synapse/admin/v1/register when not empty.
	SharedSecret string
	BcryptCost   int

	// PerUser limits authenticated requests per user; Login limits login and
	// registration attempts per IP. nil: unlimited.
	PerUser *axhttp.Limiter
	Login   *axhttp.Limiter

	// WellKnownServer returns the m.server value of
	// /.well-known/matrix/server (host:port of the federation listener), or
	// "" when there is none to advertise. It is asked per request because
	// the port may only be known once the listener is bound.
	WellKnownServer func() string

	// TurnURIs and TurnSharedSecret enable GET /voip/turnServer
	// credentials; TurnUserLifetime is how long they last (default 1 day).
	TurnURIs         []string
	TurnSharedSecret string
	TurnUserLifetime time.Duration
	// DeviceListPosition reads the device-list position out of a sync
	// token for GET /keys/changes; nil accepts a bare decimal position.
	DeviceListPosition func(token string) (uint64, error)
	// Federate, when set, hears of local typing, public read receipts and
	// presence changes, for the other servers in the rooms concerned
	// (federation.go).
	Federate EphemeralHook

	// UsePresence turns presence on (GET/PUT /presence and the presence
	// section of /sync); off, presence reads as offline and /sync has no
	// presence section, as Synapse's use_presence: false.
	UsePresence bool
	// SyncMaxTimeout caps a /sync long-poll's timeout (default
	// DefaultSyncMaxTimeout).
	SyncMaxTimeout time.Duration

	// Federation, when set, gives the federation side of joins, knocks,
	// leaves and invites of rooms and users of other servers
	// (rooms_write_remote.go); nil keeps them local.
	Federation func() *federation.Handshake
	// E2EE, when set, answers key queries and claims for users of other
	// servers and sends their to-device messages (http/e2ee); nil lists
	// their servers in failures and drops their messages.
	E2EE *e2ee.Service

	// RequestTimeout bounds how long a handler waits for an actor.
	RequestTimeout time.Duration
	Now            func() time.Time
}

// API is the client-server API.
type API struct {
	cfg  Config
	uia  *uiaSessions
	log  *zap.Logger
	fake string // a valid bcrypt hash, compared against for unknown users
	// typing is the in-memory typing state /sync reads (typing.go).
	typing *typingTracker
	// presence is the live presence of local users, which decays
	// (presence_decay.go).
	presence *presenceTracker
	// unread caches unread counts between syncs (sync_unread_cache.go).
	unread *unreadCache
	// caches hold what /sync derives from immutable state groups.
	caches syncCaches
	// committed is, by localpart, the highest event position a room commit
	// concerned the user with (sync_wake.go).
	committed sync.Map
	// syncsStop is closed by StopSyncs: parked /syncs answer at once.
	syncsStop     chan struct{}
	syncsStopOnce sync.Once
	// bg tracks the wake-up goroutines (sync_wake.go), which read the
	// store: StopSyncs waits for them, and none starts after it.
	bgMu      sync.Mutex
	bgStopped bool
	bg        sync.WaitGroup
}

// New builds the API; call Mount to register its routes.
func New(cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 12
	}
	a := &API{cfg: cfg, log: cfg.Log}
	a.uia = newUIASessions(10_000, 15*time.Minute, cfg.Now, a.releaseSession)
	a.fake, _ = hashPassword("not a password", cfg.BcryptCost)
	a.unread = newUnreadCache(maxUnreadCacheEntries)
	a.caches = newSyncCaches()
	a.syncsStop = make(chan struct{})
	a.presence = newPresenceTracker()
	if cfg.UsePresence {
		a.startPresenceSweeper()
	}
	a.typing = newTypingTracker(cfg.Now, func(roomID string) { a.background(func() { a.wakeRoom(roomID) }) })
	return a
}

// Mount registers every client route on rt, under both /_matrix/client/v3
// and the older /_matrix/client/r0 that some clients still use.
func (a *API) Mount(rt *axhttp.Router) {
	login := axhttp.Route{Limiter: a.cfg.Login}
	plain := axhttp.Route{}
	get, post, put, del := fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut, fasthttp.MethodDelete

	rt.Handle(get, "/_matrix/client/versions", plain, a.versions)
	rt.Handle(get, "/.well-known/matrix/client", plain, a.wellKnownClient)
	rt.Handle(get, "/.well-known/matrix/server", plain, a.wellKnownServer)
	rt.Handle(get, "/_matrix/client/v1/register/m.login.registration_token/validity", login, a.registrationTokenValidity)
	rt.Handle(get, "/_synapse/admin/v1/register", login, a.sharedSecretNonce)
	rt.Handle(post, "/_synapse/admin/v1/register", login, a.sharedSecretRegister)

	for _, p := range []string{"/_matrix/client/v3", "/_matrix/client/r0"} {
		rt.Handle(get, p+"/capabilities", plain, a.authed(a.capabilities))
		rt.Handle(post, p+"/register", login, a.register)
		rt.Handle(get, p+"/register/available", login, a.registerAvailable)
		rt.Handle(get, p+"/login", plain, a.loginFlows)
		rt.Handle(post, p+"/login", login, a.login)
		rt.Handle(post, p+"/logout", plain, a.guestsToo(a.logout))
		rt.Handle(post, p+"/logout/all", plain, a.authed(a.logoutAll))
		rt.Handle(post, p+"/refresh", login, a.refresh)
		rt.Handle(get, p+"/account/whoami", plain, a.guestsToo(a.whoami))
		rt.Handle(post, p+"/account/password", plain, a.authed(a.changePassword))
		rt.Handle(post, p+"/account/deactivate", plain, a.authed(a.deactivate))
		rt.Handle(get, p+"/devices", plain, a.guestsToo(a.listDevices))
		rt.Handle(get, p+"/devices/{deviceId}", plain, a.guestsToo(a.getDevice))
		rt.Handle(put, p+"/devices/{deviceId}", plain, a.guestsToo(a.updateDevice))
		rt.Handle(del, p+"/devices/{deviceId}", plain, a.authed(a.deleteDevice))
		rt.Handle(post, p+"/delete_devices", plain, a.authed(a.deleteDevices))
		a.mountRoomWrites(rt, p)
		a.mountRoomReads(rt, p)
		a.mountUserData(rt, p)
		a.mountSync(rt, p)
	}
	// Synapse also serves these under /unstable, where older clients (and
	// Element's key backup code) still call them.
	a.mountUserData(rt, "/_matrix/client/unstable")
}

func (a *API) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
}

func (a *API) userID(localpart string) string { return "@" + localpart + ":" + a.cfg.ServerName }
