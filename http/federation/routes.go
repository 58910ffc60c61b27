package federation

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// mountRooms registers the routes that need the rooms: inbound
// transactions and the room-scoped reads served to other servers
// (data/api/server-server/*.yaml). Every one is X-Matrix authenticated.
func (a *API) mountRooms(rt *axhttp.Router) {
	const p = "/_matrix/federation/v1"
	get, post, put := fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut
	rt.Handle(put, p+"/send/{txnId}", axhttp.Route{MaxBody: sendMaxBody}, a.Authenticated(a.send))
	rt.Handle(get, p+"/event/{eventId}", axhttp.Route{}, a.Authenticated(a.event))
	rt.Handle(get, p+"/state/{roomId}", axhttp.Route{}, a.Authenticated(a.state))
	rt.Handle(get, p+"/state_ids/{roomId}", axhttp.Route{}, a.Authenticated(a.stateIDs))
	rt.Handle(get, p+"/event_auth/{roomId}/{eventId}", axhttp.Route{}, a.Authenticated(a.eventAuth))
	rt.Handle(post, p+"/get_missing_events/{roomId}", axhttp.Route{}, a.Authenticated(a.getMissingEvents))
	rt.Handle(get, p+"/backfill/{roomId}", axhttp.Route{}, a.Authenticated(a.backfill))
	rt.Handle(get, p+"/timestamp_to_event/{roomId}", axhttp.Route{}, a.Authenticated(a.timestampToEvent))
	rt.Handle(get, p+"/query/profile", axhttp.Route{}, a.Authenticated(a.queryProfile))
	rt.Handle(get, p+"/query/directory", axhttp.Route{}, a.Authenticated(a.queryDirectory))
	rt.Handle(get, p+"/user/devices/{userId}", axhttp.Route{}, a.Authenticated(a.userDevices))
	rt.Handle(post, p+"/user/keys/query", axhttp.Route{MaxBody: keysMaxBody}, a.Authenticated(a.userKeysQuery))
	rt.Handle(post, p+"/user/keys/claim", axhttp.Route{MaxBody: keysMaxBody}, a.Authenticated(a.userKeysClaim))
	rt.Handle(get, p+"/publicRooms", axhttp.Route{}, a.Authenticated(a.publicRoomsGet))
	rt.Handle(post, p+"/publicRooms", axhttp.Route{}, a.Authenticated(a.publicRoomsPost))
	a.mountMemberships(rt)
}
