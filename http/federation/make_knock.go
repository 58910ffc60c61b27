package federation

import (
	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/event"
)

// makeKnock answers GET /_matrix/federation/v1/make_knock/{roomId}/{userId}
// (knocks.yaml): a knock template, after room version negotiation through
// the required ver parameters; a room whose join rule does not allow
// knocking is a 403.
func (a *API) makeKnock(ctx *fasthttp.RequestCtx, origin string) error {
	return a.makeMembership(ctx, origin, event.MembershipKnock, true)
}
