package federation

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// mountMemberships registers the membership handshakes served to other
// servers (joins-v2.yaml, leaving-v2.yaml, knocks.yaml, invites-v2.yaml),
// every one X-Matrix authenticated.
func (a *API) mountMemberships(rt *axhttp.Router) {
	const v1, v2 = "/_matrix/federation/v1", "/_matrix/federation/v2"
	get, put := fasthttp.MethodGet, fasthttp.MethodPut
	one := axhttp.Route{MaxBody: membershipMaxBody}
	rt.Handle(get, v1+"/make_join/{roomId}/{userId}", axhttp.Route{}, a.Authenticated(a.makeJoin))
	rt.Handle(put, v2+"/send_join/{roomId}/{eventId}", one, a.Authenticated(a.sendJoin))
	rt.Handle(get, v1+"/make_leave/{roomId}/{userId}", axhttp.Route{}, a.Authenticated(a.makeLeave))
	rt.Handle(put, v2+"/send_leave/{roomId}/{eventId}", one, a.Authenticated(a.sendLeave))
	rt.Handle(get, v1+"/make_knock/{roomId}/{userId}", axhttp.Route{}, a.Authenticated(a.makeKnock))
	rt.Handle(put, v1+"/send_knock/{roomId}/{eventId}", one, a.Authenticated(a.sendKnock))
	rt.Handle(put, v2+"/invite/{roomId}/{eventId}", axhttp.Route{MaxBody: inviteMaxBody}, a.Authenticated(a.invite))
}
