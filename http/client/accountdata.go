package client

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/ids"
)

// mountUserData registers the per-user data endpoints under prefix
// (/_matrix/client/v3 or /r0): account data, tags, filters, profiles, E2EE
// keys, to-device, push rules, VoIP and third-party lookups.
func (a *API) mountUserData(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, post, put, del := fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut, fasthttp.MethodDelete
	rt.Handle(get, p+"/user/{userId}/account_data/{type}", plain, a.authed(a.getAccountData))
	rt.Handle(put, p+"/user/{userId}/account_data/{type}", plain, a.authed(a.putAccountData))
	rt.Handle(get, p+"/user/{userId}/rooms/{roomId}/account_data/{type}", plain, a.authed(a.getAccountData))
	rt.Handle(put, p+"/user/{userId}/rooms/{roomId}/account_data/{type}", plain, a.authed(a.putAccountData))
	rt.Handle(get, p+"/user/{userId}/rooms/{roomId}/tags", plain, a.authed(a.getTags))
	rt.Handle(put, p+"/user/{userId}/rooms/{roomId}/tags/{tag}", plain, a.authed(a.putTag))
	rt.Handle(del, p+"/user/{userId}/rooms/{roomId}/tags/{tag}", plain, a.authed(a.deleteTag))
	rt.Handle(post, p+"/user/{userId}/filter", plain, a.authed(a.postFilter))
	rt.Handle(get, p+"/user/{userId}/filter/{filterId}", plain, a.authed(a.getFilter))
	a.mountProfile(rt, p)
	a.mountKeys(rt, p)
	a.mountPushRules(rt, p)
	// Spec "Guest access" opens to-device messaging and the key endpoints to guests.
	rt.Handle(put, p+"/sendToDevice/{eventType}/{txnId}", plain, a.guestsToo(a.sendToDevice))
	rt.Handle(get, p+"/voip/turnServer", plain, a.authed(a.turnServer))
	a.mountThirdParty(rt, p)
	a.mountRoomKeys(rt, p)
}

// doUser runs cmd on localpart's actor and returns its result.
func (a *API) doUser(localpart string, cmd user.Command) (any, error) {
	c, cancel := a.ctx()
	defer cancel()
	v, err := a.cfg.Users.Do(c, localpart, cmd)
	return v, matrixError(err)
}

// selfParam checks that the {userId} path parameter is the caller (spec:
// account data, tags and filters of other users are M_FORBIDDEN).
func (a *API) selfParam(ctx *fasthttp.RequestCtx, s user.Session, what string) error {
	uid, err := axhttp.Param(ctx, "userId")
	if err != nil {
		return err
	}
	if uid != a.userID(s.Localpart) {
		return axhttp.Errorf(axhttp.CodeForbidden, "Cannot access %s of other users", what)
	}
	return nil
}

// roomParam returns the {roomId} path parameter, or "" for a route without
// one.
func roomParam(ctx *fasthttp.RequestCtx) (string, error) {
	if ctx.UserValue("roomId") == nil {
		return "", nil
	}
	r, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return "", err
	}
	if _, err := ids.ParseRoomID(r); err != nil {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid room ID")
	}
	return r, nil
}

// serverManagedTypes cannot be set through the account-data API (spec:
// PUT account_data, 405 M_BAD_JSON).
var serverManagedTypes = map[string]bool{"m.fully_read": true, "m.push_rules": true}

// getAccountData is GET /user/{userId}[/rooms/{roomId}]/account_data/{type}.
func (a *API) getAccountData(ctx *fasthttp.RequestCtx, s user.Session) error {
	if err := a.selfParam(ctx, s, "account data"); err != nil {
		return err
	}
	room, err := roomParam(ctx)
	if err != nil {
		return err
	}
	typ, err := axhttp.Param(ctx, "type")
	if err != nil {
		return err
	}
	d, err := a.cfg.Store.AccountData(s.Localpart, room, typ)
	if errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Account data not found")
	}
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(d.Content)
	return nil
}

// putAccountData is PUT /user/{userId}[/rooms/{roomId}]/account_data/{type}.
func (a *API) putAccountData(ctx *fasthttp.RequestCtx, s user.Session) error {
	if err := a.selfParam(ctx, s, "account data"); err != nil {
		return err
	}
	room, err := roomParam(ctx)
	if err != nil {
		return err
	}
	typ, err := axhttp.Param(ctx, "type")
	if err != nil {
		return err
	}
	if typ == "" || len(typ) > 255 {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid account data type")
	}
	if serverManagedTypes[typ] {
		return axhttp.Errorf(axhttp.CodeBadJSON, "Cannot set %s through this API", typ).WithStatus(fasthttp.StatusMethodNotAllowed)
	}
	var content json.RawMessage
	if err := axhttp.DecodeJSON(ctx, &content); err != nil {
		return err
	}
	content = bytes.TrimSpace(content)
	if typ == "m.ignored_user_list" && room == "" {
		if err := a.checkIgnoredUsers(content, s); err != nil {
			return err
		}
	}
	if _, err := a.doUser(s.Localpart, user.SetAccountData{RoomID: room, Type: typ, Content: content}); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// checkIgnoredUsers validates m.ignored_user_list (spec: "Ignoring Users"):
// ignored_users is an object whose keys are user IDs and whose values are
// objects.
func (a *API) checkIgnoredUsers(content json.RawMessage, s user.Session) error {
	var c struct {
		IgnoredUsers *map[string]json.RawMessage `json:"ignored_users"`
	}
	if err := json.Unmarshal(content, &c); err != nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "ignored_users must be an object of user IDs")
	}
	if c.IgnoredUsers == nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "ignored_users is required")
	}
	for uid, v := range *c.IgnoredUsers {
		if _, err := ids.ParseUserIDLenient(uid); err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID %q in ignored_users", uid)
		}
		if uid == a.userID(s.Localpart) {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "You cannot ignore yourself")
		}
		if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
			return axhttp.Errorf(axhttp.CodeBadJSON, "ignored_users values must be objects")
		}
	}
	return nil
}
