package federation

import (
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/e2ee"
	"github.com/axonhs/axon/persistence"
)

// Config is what the federation listener's handlers need.
type Config struct {
	ServerName string
	Keys       *federation.Publisher
	Keyring    *federation.Keyring
	Log        *zap.Logger
	// Version is reported by /_matrix/federation/v1/version.
	Version string

	// Store, Rooms and Client serve the room-scoped endpoints and inbound
	// transactions (send.go); without a Store those routes are not
	// mounted. Users delivers to-device EDUs (nil: dropped).
	Store  *persistence.Store
	Rooms  *room.Directory
	Users  *user.Directory
	Client *federation.Client
	// OnContact, when set, hears of every verified inbound request's
	// origin: the server actors reset their backoff for it.
	OnContact func(origin string)
	// Typing, when set, records a remote user's typing notice from an
	// accepted m.typing EDU (edus.go); nil drops them.
	Typing func(roomID, userID string, typing bool)
	// E2EE, when set, keeps remote users' device lists from inbound
	// m.device_list_update and m.signing_key_update EDUs and numbers the
	// device lists served by /user/devices (nil: those EDUs are dropped).
	E2EE *e2ee.Service
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// API holds the handlers.
type API struct {
	cfg     Config
	txns    inflightTxns
	fetches chan struct{}
	sends   atomic.Int64 // transactions processed, for pruning (send.go)
}

// New returns the handlers for cfg.
func New(cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &API{cfg: cfg, fetches: make(chan struct{}, maxConcurrentFetches)}
}

// notaryMaxBody bounds a POST /_matrix/key/v2/query body.
const notaryMaxBody = 64 << 10

// Mount registers the routes on rt.
func (a *API) Mount(rt *axhttp.Router) {
	rt.Handle(fasthttp.MethodGet, "/_matrix/federation/v1/version", axhttp.Route{}, a.version)
	rt.Handle(fasthttp.MethodGet, "/_matrix/key/v2/server", axhttp.Route{}, a.serverKeys)
	// Spec v1.19 drops the {keyId} form; older servers still ask for it.
	rt.Handle(fasthttp.MethodGet, "/_matrix/key/v2/server/{keyId}", axhttp.Route{}, a.serverKeys)
	rt.Handle(fasthttp.MethodGet, "/_matrix/key/v2/query/{serverName}", axhttp.Route{}, a.queryOne)
	rt.Handle(fasthttp.MethodPost, "/_matrix/key/v2/query", axhttp.Route{MaxBody: notaryMaxBody}, a.queryBatch)
	if a.cfg.Store != nil && a.cfg.Rooms != nil {
		a.mountRooms(rt)
	}
}

func (a *API) now() time.Time {
	if a.cfg.Now != nil {
		return a.cfg.Now()
	}
	return time.Now()
}

// version answers GET /_matrix/federation/v1/version (version.yaml).
func (a *API) version(ctx *fasthttp.RequestCtx) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"server": map[string]string{"name": "Axon", "version": a.cfg.Version}})
	return nil
}
