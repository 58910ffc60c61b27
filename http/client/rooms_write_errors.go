package client

import (
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/room"
	axhttp "github.com/axonhs/axon/http"
	core "github.com/axonhs/axon/rooms/room"
)

// roomWriteError maps the errors of actors/room and rooms/room to Matrix
// errors (the brackets of rooms/room's error list); anything it does not
// know becomes 500 M_UNKNOWN at the edge.
func roomWriteError(err error) error {
	var me *axhttp.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &me):
		return err
	case errors.Is(err, room.ErrUnknownRoom):
		return axhttp.Errorf(axhttp.CodeNotFound, "Unknown room: this server does not hold it")
	case errors.Is(err, room.ErrBusy):
		return axhttp.LimitExceeded(200 * time.Millisecond)
	case errors.Is(err, room.ErrTxnReused):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Transaction ID already used for a different request")
	case errors.Is(err, room.ErrTimeout), errors.Is(err, room.ErrStopping):
		return axhttp.Errorf(axhttp.CodeUnknown, "Server busy, try again").WithStatus(fasthttp.StatusServiceUnavailable)
	case errors.Is(err, core.ErrForbidden), errors.Is(err, core.ErrNotLocal):
		return axhttp.Errorf(axhttp.CodeForbidden, "%s", reason(err))
	case errors.Is(err, core.ErrBadJSON):
		return axhttp.Errorf(axhttp.CodeBadJSON, "%s", reason(err))
	case errors.Is(err, core.ErrTooLarge):
		return axhttp.Errorf(axhttp.CodeTooLarge, "%s", reason(err))
	case errors.Is(err, core.ErrInvalidParam), errors.Is(err, core.ErrWrongRoom):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "%s", reason(err))
	case errors.Is(err, core.ErrInvalidRoomState):
		return axhttp.Errorf(axhttp.CodeInvalidRoomState, "%s", reason(err))
	}
	return err
}

// reason is the refusal's text without the package prefixes, which say
// nothing to a client: "room: forbidden: auth: sender is not joined" reads
// "forbidden: sender is not joined".
func reason(err error) string {
	s := err.Error()
	for _, p := range []string{"room: ", "auth: ", "event: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}
