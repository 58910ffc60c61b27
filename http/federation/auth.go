package federation

import (
	"context"
	"errors"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/ids"
)

// AuthedHandler serves a request whose X-Matrix signature was verified;
// origin is the verified sending server.
type AuthedHandler func(ctx *fasthttp.RequestCtx, origin string) error

// keyLookupTimeout bounds fetching the origin's key for one request.
const keyLookupTimeout = 15 * time.Second

// Authenticated wraps h with X-Matrix verification (server-server-api
// "Request Authentication"): a parsable header, destination (if given) is
// this server, the origin's key is known and current, and the signature
// covers the method, the request target exactly as received (not
// re-encoded: a proxy that rewrites it breaks signatures, as it should) and
// the body as JSON. Each failure is 401 M_UNAUTHORIZED with a message
// naming it.
func (a *API) Authenticated(h AuthedHandler) axhttp.HandlerFunc {
	return func(ctx *fasthttp.RequestCtx) error {
		origin, err := a.verify(ctx)
		if err != nil {
			return err
		}
		if a.cfg.OnContact != nil {
			a.cfg.OnContact(origin)
		}
		return h(ctx, origin)
	}
}

func (a *API) verify(ctx *fasthttp.RequestCtx) (string, error) {
	header := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if len(header) == 0 {
		return "", unauthorized("Missing X-Matrix Authorization header")
	}
	auth, err := federation.ParseAuthorization(string(header))
	if err != nil {
		return "", unauthorized("Malformed X-Matrix Authorization header")
	}
	if _, err := ids.ParseServerName(auth.Origin); err != nil {
		return "", unauthorized("Origin is not a valid server name")
	}
	if auth.Destination != "" && auth.Destination != a.cfg.ServerName {
		return "", unauthorized("Request is addressed to %s, not this server", auth.Destination)
	}
	if auth.Origin == a.cfg.ServerName {
		return "", unauthorized("Origin is this server")
	}
	c, cancel := context.WithTimeout(context.Background(), keyLookupTimeout)
	defer cancel()
	pub, err := a.cfg.Keyring.RequestKey(c, auth.Origin, auth.Key)
	switch {
	case errors.Is(err, federation.ErrKeyExpired):
		return "", unauthorized("Key %s of %s is not valid now", auth.Key, auth.Origin)
	case err != nil:
		a.cfg.Log.Debug("origin key unavailable", zapServer(auth.Origin), zapErr(err))
		return "", unauthorized("Key %s of %s could not be found", auth.Key, auth.Origin)
	}
	uri := string(ctx.Request.Header.RequestURI())
	body := ctx.PostBody()
	if err := federation.VerifyRequest(auth, pub, a.cfg.ServerName, string(ctx.Method()), uri, body); err != nil {
		if errors.Is(err, federation.ErrWrongDestination) {
			return "", unauthorized("Request is addressed to another server")
		}
		return "", unauthorized("Invalid X-Matrix signature")
	}
	return auth.Origin, nil
}

func unauthorized(format string, args ...any) error {
	return axhttp.Errorf(axhttp.CodeUnauthorized, format, args...)
}

func zapServer(s string) zap.Field { return zap.String("server", s) }
func zapErr(err error) zap.Field   { return zap.Error(err) }
