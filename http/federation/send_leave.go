package federation

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/event"
)

// sendLeave answers PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}
// (leaving-v2.yaml): the signed leave is checked and applied; the answer
// is an empty object.
func (a *API) sendLeave(ctx *fasthttp.RequestCtx, origin string) error {
	if _, _, err := a.acceptMembership(ctx, origin, event.MembershipLeave); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
