package federation

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// mountRooms registers the routes that need the rooms: inbound
// transactions and the room-scoped reads served to other servers.
func (a *API) mountRooms(rt *axhttp.Router) {
	rt.Handle(fasthttp.MethodPut, "/_matrix/federation/v1/send/{txnId}", axhttp.Route{MaxBody: sendMaxBody}, a.Authenticated(a.send))
}
