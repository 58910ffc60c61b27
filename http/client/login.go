package client

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// loginFlows is GET /login.
func (a *API) loginFlows(ctx *fasthttp.RequestCtx) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"flows": []map[string]string{{"type": stagePassword}},
	})
	return nil
}

type loginRequest struct {
	Type                     string          `json:"type"`
	Identifier               *userIdentifier `json:"identifier"`
	User                     string          `json:"user"` // deprecated, still sent by older clients
	Password                 string          `json:"password"`
	DeviceID                 string          `json:"device_id"`
	InitialDeviceDisplayName string          `json:"initial_device_display_name"`
	RefreshToken             bool            `json:"refresh_token"`
}

// login is POST /login with m.login.password (spec: client-server-api
// "Password-based" login and "Identifier types": m.id.user with a full user
// ID or a localpart).
func (a *API) login(ctx *fasthttp.RequestCtx) error {
	var req loginRequest
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.Type == "" {
		return axhttp.MissingParam("type")
	}
	if req.Type != stagePassword {
		return axhttp.Errorf(axhttp.CodeUnknown, "Unknown login type %s", req.Type).WithStatus(fasthttp.StatusBadRequest)
	}
	who := req.User
	if req.Identifier != nil {
		if req.Identifier.Type != "m.id.user" {
			return axhttp.Errorf(axhttp.CodeUnknown, "Unknown identifier type %s", req.Identifier.Type).WithStatus(fasthttp.StatusBadRequest)
		}
		who = req.Identifier.User
	}
	if who == "" {
		return axhttp.MissingParam("identifier")
	}
	if len(req.DeviceID) > maxDeviceIDBytes {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "device_id is too long")
	}
	forbidden := axhttp.Errorf(axhttp.CodeForbidden, "Invalid username or password")
	lp, ok := a.loginLocalpart(who)
	if !ok {
		return forbidden
	}
	acct, err := a.cfg.Store.Account(lp)
	if errors.Is(err, persistence.ErrNotFound) {
		passwordMatches(a.fake, req.Password) // same work as for a real user
		return forbidden
	}
	if err != nil {
		return err
	}
	if acct.Deactivated {
		return axhttp.Errorf(axhttp.CodeUserDeactivated, "")
	}
	if !passwordMatches(acct.PasswordHash, req.Password) {
		return forbidden
	}
	c, cancel := a.ctx()
	defer cancel()
	cr, err := a.cfg.Users.Login(c, lp, user.Login{VerifiedHash: acct.PasswordHash, LoginOptions: user.LoginOptions{
		DeviceID: req.DeviceID, DisplayName: req.InitialDeviceDisplayName, IP: axhttp.ClientIP(ctx), Refresh: req.RefreshToken,
	}})
	if err != nil {
		return matrixError(err)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, a.credentialsBody(cr, true))
	return nil
}

// logout is POST /logout: the device of the access token and every token
// of it are deleted.
func (a *API) logout(ctx *fasthttp.RequestCtx, s user.Session) error {
	return a.doAndReplyEmpty(ctx, s.Localpart, user.Logout{DeviceID: s.DeviceID})
}

// logoutAll is POST /logout/all.
func (a *API) logoutAll(ctx *fasthttp.RequestCtx, s user.Session) error {
	return a.doAndReplyEmpty(ctx, s.Localpart, user.LogoutAll{})
}

func (a *API) doAndReplyEmpty(ctx *fasthttp.RequestCtx, localpart string, cmd user.Command) error {
	if err := a.doCmd(localpart, cmd); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// doCmd sends a command to the user's actor and waits for the result.
func (a *API) doCmd(localpart string, cmd user.Command) error {
	c, cancel := a.ctx()
	defer cancel()
	_, err := a.cfg.Users.Do(c, localpart, cmd)
	return matrixError(err)
}

// refresh is POST /refresh (spec: "Refreshing access tokens"). The old
// access token stops working at once; the old refresh token only once the
// new pair is used (see actors/user).
func (a *API) refresh(ctx *fasthttp.RequestCtx) error {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return axhttp.MissingParam("refresh_token")
	}
	c, cancel := a.ctx()
	defer cancel()
	cr, err := a.cfg.Users.Refresh(c, req.RefreshToken)
	if errors.Is(err, user.ErrTokenExpired) || errors.Is(err, user.ErrUnknownToken) {
		return axhttp.UnknownToken(false, "Unknown or expired refresh token")
	}
	if err != nil {
		return matrixError(err)
	}
	body := map[string]any{"access_token": cr.AccessToken, "refresh_token": cr.RefreshToken}
	if cr.ExpiresIn > 0 {
		body["expires_in_ms"] = cr.ExpiresIn.Milliseconds()
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, body)
	return nil
}
