package client

import (
	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// Third-party networks (spec: modules/third_party_networks.md) come from
// application services (bridges); with none registered there are no
// protocols, and lookups of a protocol are M_NOT_FOUND.
func (a *API) mountThirdParty(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get := fasthttp.MethodGet
	rt.Handle(get, p+"/thirdparty/protocols", plain, a.authed(a.thirdPartyProtocols))
	rt.Handle(get, p+"/thirdparty/protocol/{protocol}", plain, a.authed(a.thirdPartyUnknown))
	rt.Handle(get, p+"/thirdparty/location/{protocol}", plain, a.authed(a.thirdPartyUnknown))
	rt.Handle(get, p+"/thirdparty/user/{protocol}", plain, a.authed(a.thirdPartyUnknown))
	rt.Handle(get, p+"/thirdparty/location", plain, a.authed(a.thirdPartyEmpty))
	rt.Handle(get, p+"/thirdparty/user", plain, a.authed(a.thirdPartyEmpty))
}

func (a *API) thirdPartyProtocols(ctx *fasthttp.RequestCtx, _ user.Session) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

func (a *API) thirdPartyUnknown(*fasthttp.RequestCtx, user.Session) error {
	return axhttp.Errorf(axhttp.CodeNotFound, "Protocol not known")
}

func (a *API) thirdPartyEmpty(ctx *fasthttp.RequestCtx, _ user.Session) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, []any{})
	return nil
}
