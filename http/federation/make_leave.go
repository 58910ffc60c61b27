package federation

import (
	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/event"
)

// makeLeave answers GET /_matrix/federation/v1/make_leave/{roomId}/{userId}
// (leaving-v2.yaml): a leave template, which lets a server whose user was
// invited or is knocking, but which is not in the room, reject the invite
// or withdraw the knock.
func (a *API) makeLeave(ctx *fasthttp.RequestCtx, origin string) error {
	return a.makeMembership(ctx, origin, event.MembershipLeave, false)
}
