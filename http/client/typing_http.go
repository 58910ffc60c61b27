package client

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/event"
)

// requireSelfAndJoined checks the {userId} path parameter is the caller and
// that the caller is joined to {roomId}; it returns the room ID.
func (a *API) requireSelfAndJoined(ctx *fasthttp.RequestCtx, s user.Session, what string) (string, error) {
	if err := a.selfParam(ctx, s, what); err != nil {
		return "", err
	}
	return a.requireJoined(ctx, s)
}

// requireJoined returns {roomId} when the caller is joined to it, else
// 403 M_FORBIDDEN.
func (a *API) requireJoined(ctx *fasthttp.RequestCtx, s user.Session) (string, error) {
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return "", err
	}
	m, err := a.cfg.Store.Membership(a.userID(s.Localpart), roomID)
	if err != nil {
		return "", err
	}
	if m.Membership != event.MembershipJoin {
		return "", axhttp.Errorf(axhttp.CodeForbidden, "You are not joined to this room")
	}
	return roomID, nil
}

// putTyping is PUT /rooms/{roomId}/typing/{userId} (typing.yaml): only
// for oneself, only in a room one is joined to.
func (a *API) putTyping(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := a.requireSelfAndJoined(ctx, s, "typing notifications")
	if err != nil {
		return err
	}
	var body struct {
		Typing  *bool  `json:"typing"`
		Timeout *int64 `json:"timeout"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if body.Typing == nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "typing is required")
	}
	timeout := 30 * time.Second
	if body.Timeout != nil {
		if *body.Timeout < 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "timeout must not be negative")
		}
		timeout = time.Duration(min(*body.Timeout, int64(maxTypingTimeout/time.Millisecond))) * time.Millisecond
	}
	a.typing.set(roomID, a.userID(s.Localpart), *body.Typing, timeout)
	if a.cfg.Federate != nil {
		a.cfg.Federate.Typing(roomID, a.userID(s.Localpart), *body.Typing)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
