package client

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// maxStatusMsg bounds a presence status message.
const maxStatusMsg = 2048

// getPresence is GET /presence/{userId}/status (presence.yaml). Another
// user's presence is visible to those who share a room with them. With
// presence off everyone reads as offline, as Synapse answers.
func (a *API) getPresence(ctx *fasthttp.RequestCtx, s user.Session) error {
	uid, err := axhttp.Param(ctx, "userId")
	if err != nil {
		return err
	}
	if uid != a.userID(s.Localpart) {
		shares, err := a.sharesRoomWith(s.Localpart)
		if err != nil {
			return err
		}
		if !shares(uid) {
			return axhttp.Errorf(axhttp.CodeForbidden, "You are not allowed to see their presence")
		}
	}
	p := persistence.Presence{UserID: uid, Presence: presenceOffline}
	if a.cfg.UsePresence {
		stored, err := a.cfg.Store.PresenceOf(uid)
		switch {
		case err == nil:
			p = stored
		case !errors.Is(err, persistence.ErrNotFound):
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, a.presenceContent(p))
	return nil
}

// putPresence is PUT /presence/{userId}/status: only one's own; accepted
// and ignored when presence is off.
func (a *API) putPresence(ctx *fasthttp.RequestCtx, s user.Session) error {
	if err := a.selfParam(ctx, s, "presence"); err != nil {
		return err
	}
	var body struct {
		Presence  string  `json:"presence"`
		StatusMsg *string `json:"status_msg"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	switch body.Presence {
	case presenceOnline, presenceOffline, presenceUnavailable:
	default:
		return axhttp.Errorf(axhttp.CodeInvalidParam, "presence must be online, offline or unavailable")
	}
	if body.StatusMsg != nil && len(*body.StatusMsg) > maxStatusMsg {
		return axhttp.Errorf(axhttp.CodeTooLarge, "status_msg too long")
	}
	if a.cfg.UsePresence {
		if err := a.setPresence(a.userID(s.Localpart), body.Presence, body.StatusMsg); err != nil {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// presenceContent is the client form of a presence (presence.yaml and the
// m.presence event); a tracked local user's last_active_ago is counted
// from their live last activity.
func (a *API) presenceContent(p persistence.Presence) map[string]any {
	c := map[string]any{"presence": p.Presence}
	if ts, ok := a.liveLastActive(p.UserID); ok {
		p.LastActiveTS = ts
	}
	if p.LastActiveTS > 0 {
		c["last_active_ago"] = max(a.cfg.Now().UnixMilli()-p.LastActiveTS, 0)
	}
	if p.Presence == presenceOnline {
		c["currently_active"] = p.CurrentlyActive
	}
	if p.StatusMsg != "" {
		c["status_msg"] = p.StatusMsg
	}
	return c
}
