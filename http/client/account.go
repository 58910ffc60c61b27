package client

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// whoami is GET /account/whoami.
func (a *API) whoami(ctx *fasthttp.RequestCtx, s user.Session) error {
	acct, err := a.cfg.Store.Account(s.Localpart)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"user_id": a.userID(s.Localpart), "device_id": s.DeviceID, "is_guest": acct.Guest,
	})
	return nil
}

// changePassword is POST /account/password, behind UIA with
// m.login.password. logout_devices defaults to true: every other device is
// logged out, the caller's stays (spec: "Account registration and
// management").
func (a *API) changePassword(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		Auth          json.RawMessage `json:"auth"`
		NewPassword   *string         `json:"new_password"`
		LogoutDevices *bool           `json:"logout_devices"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.NewPassword == nil || *req.NewPassword == "" {
		return axhttp.MissingParam("new_password")
	}
	if err := checkNewPassword(*req.NewPassword); err != nil {
		return err
	}
	sess, err := a.interactive(req.Auth, "password:"+s.Localpart, [][]string{{stagePassword}}, a.checkPassword(s.Localpart))
	if err != nil {
		return err
	}
	hash, err := hashPassword(*req.NewPassword, a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	logout := req.LogoutDevices == nil || *req.LogoutDevices
	if err := a.doCmd(s.Localpart, user.ChangePassword{NewHash: hash, LogoutDevices: logout, KeepDeviceID: s.DeviceID}); err != nil {
		return err
	}
	a.uia.finish(sess.id)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// deactivate is POST /account/deactivate, behind UIA with m.login.password.
// Axon has no identity-server bindings to remove.
func (a *API) deactivate(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		Auth json.RawMessage `json:"auth"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	sess, err := a.interactive(req.Auth, "deactivate:"+s.Localpart, [][]string{{stagePassword}}, a.checkPassword(s.Localpart))
	if err != nil {
		return err
	}
	if err := a.doCmd(s.Localpart, user.Deactivate{}); err != nil {
		return err
	}
	a.uia.finish(sess.id)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"id_server_unbind_result": "no-support"})
	return nil
}
