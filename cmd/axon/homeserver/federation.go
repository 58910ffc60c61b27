package homeserver

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// Version is what GET /_matrix/federation/v1/version reports.
const Version = "0.1.0-dev"

// federationServer serves the server-server API. So far it only answers
// the version endpoint; everything else is M_UNRECOGNIZED until
// http/federation exists.
func (s *Server) federationServer() *fasthttp.Server {
	log := s.log.Named("federation")
	rt := axhttp.NewRouter(log, nil)
	rt.Handle(fasthttp.MethodGet, "/_matrix/federation/v1/version", axhttp.Route{}, func(ctx *fasthttp.RequestCtx) error {
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"server": map[string]string{"name": "Axon", "version": Version}})
		return nil
	})
	return axhttp.NewServer("Axon", rt, axhttp.DefaultMaxBody, log)
}
