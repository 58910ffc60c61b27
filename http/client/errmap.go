package client

import (
	"errors"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// matrixError maps the errors of actors/user to Matrix errors; anything it
// does not know is returned unchanged and becomes 500 M_UNKNOWN at the edge.
func matrixError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, user.ErrUserInUse):
		return axhttp.Errorf(axhttp.CodeUserInUse, "")
	case errors.Is(err, user.ErrForbidden), errors.Is(err, user.ErrUnknownUser):
		return axhttp.Errorf(axhttp.CodeForbidden, "Invalid username or password")
	case errors.Is(err, user.ErrDeactivated):
		return axhttp.Errorf(axhttp.CodeUserDeactivated, "")
	case errors.Is(err, user.ErrUnknownToken):
		return axhttp.UnknownToken(false, "Unrecognised access token")
	case errors.Is(err, user.ErrTokenExpired):
		return axhttp.UnknownToken(true, "Access token has expired")
	case errors.Is(err, user.ErrUnknownDevice):
		return axhttp.Errorf(axhttp.CodeNotFound, "No device with that ID")
	case errors.Is(err, user.ErrBusy):
		return axhttp.LimitExceeded(time.Second)
	case errors.Is(err, user.ErrTimeout), errors.Is(err, user.ErrStopping):
		return axhttp.Errorf(axhttp.CodeUnknown, "Server busy, try again").WithStatus(fasthttp.StatusServiceUnavailable)
	}
	return err
}

func (a *API) errField(err error) zap.Field { return zap.Error(err) }
