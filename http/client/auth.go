package client

import (
	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// authedFunc is a handler that needs a valid access token.
type authedFunc func(ctx *fasthttp.RequestCtx, s user.Session) error

// authed resolves the access token (M_MISSING_TOKEN, M_UNKNOWN_TOKEN with
// soft_logout for expired ones), refuses guests and applies the per-user
// rate limit.
func (a *API) authed(h authedFunc) axhttp.HandlerFunc { return a.auth(h, false) }

// guestsToo is authed for the endpoints the spec's "Guest access" module
// opens to guests (whoami, GET/PUT devices), plus logout.
func (a *API) guestsToo(h authedFunc) axhttp.HandlerFunc { return a.auth(h, true) }

func (a *API) auth(h authedFunc, guestsAllowed bool) axhttp.HandlerFunc {
	return func(ctx *fasthttp.RequestCtx) error {
		tok, ok := axhttp.AccessToken(ctx)
		if !ok {
			return axhttp.Errorf(axhttp.CodeMissingToken, "")
		}
		s, err := a.cfg.Users.Resolve(tok)
		if err != nil {
			return matrixError(err)
		}
		if s.Guest && !guestsAllowed {
			return axhttp.Errorf(axhttp.CodeGuestAccessForbidden, "")
		}
		if ok, wait := a.cfg.PerUser.Allow(s.Localpart); !ok {
			return axhttp.LimitExceeded(wait)
		}
		a.cfg.Users.Touch(s, axhttp.ClientIP(ctx))
		return h(ctx, s)
	}
}
