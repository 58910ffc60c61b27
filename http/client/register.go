package client

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// registerRequest is the body of POST /register.
type registerRequest struct {
	Auth                     json.RawMessage `json:"auth"`
	Username                 string          `json:"username"`
	Password                 string          `json:"password"`
	DeviceID                 string          `json:"device_id"`
	InitialDeviceDisplayName string          `json:"initial_device_display_name"`
	InhibitLogin             bool            `json:"inhibit_login"`
	RefreshToken             bool            `json:"refresh_token"`
}

// maxDeviceIDBytes bounds client-chosen device IDs.
const maxDeviceIDBytes = 512

// register is POST /register (spec: client-server-api "Account registration").
func (a *API) register(ctx *fasthttp.RequestCtx) error {
	var req registerRequest
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	kind := axhttp.Query(ctx, "kind")
	switch kind {
	case "", "user":
	case "guest":
		if !a.cfg.AllowGuests {
			return axhttp.Errorf(axhttp.CodeForbidden, "Guest access is disabled")
		}
		return a.registerGuest(ctx, req)
	default:
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown kind %q", kind)
	}
	if !a.cfg.EnableRegistration {
		return axhttp.Errorf(axhttp.CodeForbidden, "Registration is disabled")
	}
	if err := checkNewPassword(req.Password); err != nil {
		return err
	}
	if len(req.DeviceID) > maxDeviceIDBytes {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "device_id is too long")
	}
	// Check the username before authentication so that a client learns
	// about a taken or invalid name without completing any stage.
	if req.Username != "" {
		if err := a.usernameFree(req.Username); err != nil {
			return err
		}
	}
	flows := [][]string{{stageDummy}}
	if a.cfg.RegistrationRequiresToken {
		flows = [][]string{{stageRegToken}}
	}
	sess, err := a.interactive(req.Auth, "register", flows, a.checkRegistrationStage)
	if err != nil {
		return err
	}
	lp := req.Username
	if lp == "" {
		if lp, err = a.cfg.Store.NextNumericLocalpart(); err != nil {
			return err
		}
	}
	var hash string
	if req.Password != "" {
		if hash, err = hashPassword(req.Password, a.cfg.BcryptCost); err != nil {
			return err
		}
	}
	r := user.Registration{Localpart: lp, PasswordHash: hash}
	if !req.InhibitLogin {
		r.Login = &user.LoginOptions{DeviceID: req.DeviceID, DisplayName: req.InitialDeviceDisplayName,
			IP: axhttp.ClientIP(ctx), Refresh: req.RefreshToken}
	}
	c, err := a.registerAccount(r)
	if err != nil {
		return err
	}
	a.uia.finish(sess.id)
	var regToken string
	a.uia.update(sess, func(s *uiaSession) { regToken = s.regToken })
	if regToken != "" {
		if err := a.cfg.Store.ReleaseRegistrationToken(regToken, true); err != nil {
			a.log.Warn("completing registration token use", a.errField(err))
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, a.credentialsBody(c, !req.InhibitLogin))
	return nil
}

func (a *API) registerAccount(r user.Registration) (user.Credentials, error) {
	c, cancel := a.ctx()
	defer cancel()
	cr, err := a.cfg.Users.Register(c, r)
	return cr, matrixError(err)
}

// registerGuest creates a guest account (spec: "Guest access"): no
// authentication, a generated localpart, no password.
func (a *API) registerGuest(ctx *fasthttp.RequestCtx, req registerRequest) error {
	lp, err := a.cfg.Store.NextNumericLocalpart()
	if err != nil {
		return err
	}
	c, err := a.registerAccount(user.Registration{Localpart: lp, Guest: true, Login: &user.LoginOptions{
		DisplayName: req.InitialDeviceDisplayName, IP: axhttp.ClientIP(ctx), Refresh: req.RefreshToken,
	}})
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, a.credentialsBody(c, true))
	return nil
}

// checkRegistrationStage verifies m.login.dummy and
// m.login.registration_token (spec: "Token-authenticated registration").
// A valid token has one use reserved until the registration completes or
// the session expires.
func (a *API) checkRegistrationStage(stage string, auth authDict, s *uiaSession) error {
	switch stage {
	case stageDummy:
		return nil
	case stageRegToken:
		if auth.Token == "" {
			return axhttp.MissingParam("token")
		}
		var had string
		a.uia.update(s, func(s *uiaSession) { had = s.regToken })
		if had != "" {
			return nil
		}
		err := a.cfg.Store.ReserveRegistrationToken(auth.Token, a.cfg.Now().UnixMilli())
		if errors.Is(err, persistence.ErrTokenInvalid) {
			return axhttp.Errorf(axhttp.CodeUnauthorized, "Invalid registration token")
		}
		if err != nil {
			return err
		}
		a.uia.update(s, func(s *uiaSession) { s.regToken = auth.Token })
		return nil
	}
	return axhttp.Errorf(axhttp.CodeUnrecognized, "Unexpected authentication type")
}

// usernameFree validates a requested localpart and checks it is not taken.
func (a *API) usernameFree(lp string) error {
	if err := a.validLocalpart(lp); err != nil {
		return err
	}
	_, err := a.cfg.Store.Account(lp)
	switch {
	case err == nil:
		return axhttp.Errorf(axhttp.CodeUserInUse, "")
	case errors.Is(err, persistence.ErrNotFound):
		return nil
	default:
		return err
	}
}

// registerAvailable is GET /register/available.
func (a *API) registerAvailable(ctx *fasthttp.RequestCtx) error {
	lp := axhttp.Query(ctx, "username")
	if lp == "" {
		return axhttp.MissingParam("username")
	}
	if err := a.usernameFree(lp); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]bool{"available": true})
	return nil
}

// registrationTokenValidity is GET
// /v1/register/m.login.registration_token/validity.
func (a *API) registrationTokenValidity(ctx *fasthttp.RequestCtx) error {
	if !a.cfg.EnableRegistration || !a.cfg.RegistrationRequiresToken {
		return axhttp.Errorf(axhttp.CodeForbidden, "Registration tokens are not in use")
	}
	tok := axhttp.Query(ctx, "token")
	if tok == "" {
		return axhttp.MissingParam("token")
	}
	t, err := a.cfg.Store.RegistrationToken(tok)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	valid := err == nil && t.Valid(a.cfg.Now().UnixMilli())
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]bool{"valid": valid})
	return nil
}

// credentialsBody is the response of register, login and shared-secret
// registration.
func (a *API) credentialsBody(c user.Credentials, withTokens bool) map[string]any {
	b := map[string]any{"user_id": a.userID(c.Localpart), "home_server": a.cfg.ServerName}
	if !withTokens {
		return b
	}
	b["access_token"] = c.AccessToken
	b["device_id"] = c.DeviceID
	if c.RefreshToken != "" {
		b["refresh_token"] = c.RefreshToken
	}
	if c.ExpiresIn > 0 {
		b["expires_in_ms"] = c.ExpiresIn.Milliseconds()
	}
	return b
}
