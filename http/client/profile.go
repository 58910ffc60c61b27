package client

import (
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/ids"
)

// maxDisplayNameBytes follows Synapse's limit on display names.
const maxDisplayNameBytes = 256

func (a *API) mountProfile(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, put, post := fasthttp.MethodGet, fasthttp.MethodPut, fasthttp.MethodPost
	rt.Handle(get, p+"/profile/{userId}", plain, a.getProfile)
	rt.Handle(get, p+"/profile/{userId}/{field}", plain, a.getProfileField)
	rt.Handle(put, p+"/profile/{userId}/{field}", plain, a.guestsToo(a.putProfileField))
	rt.Handle(fasthttp.MethodDelete, p+"/profile/{userId}/{field}", plain, a.guestsToo(a.deleteProfileField))
	rt.Handle(post, p+"/user_directory/search", plain, a.authed(a.searchUsers))
}

// profileOf loads a local user's profile: M_NOT_FOUND for remote users
// (federation profile queries are not wired yet), unknown and deactivated
// users.
func (a *API) profileOf(ctx *fasthttp.RequestCtx) (persistence.Profile, error) {
	raw, err := axhttp.Param(ctx, "userId")
	if err != nil {
		return persistence.Profile{}, err
	}
	uid, err := ids.ParseUserIDLenient(raw)
	if err != nil {
		return persistence.Profile{}, axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID")
	}
	notFound := axhttp.Errorf(axhttp.CodeNotFound, "Profile not found")
	if string(uid.Server()) != a.cfg.ServerName {
		return persistence.Profile{}, notFound
	}
	acct, err := a.cfg.Store.Account(uid.Localpart())
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && acct.Deactivated) {
		return persistence.Profile{}, notFound
	}
	if err != nil {
		return persistence.Profile{}, err
	}
	p, err := a.cfg.Store.Profile(uid.Localpart())
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return p, err
	}
	return p, nil
}

func profileJSON(p persistence.Profile, field string) map[string]any {
	out := map[string]any{}
	if p.DisplayName != "" && (field == "" || field == "displayname") {
		out["displayname"] = p.DisplayName
	}
	if p.AvatarURL != "" && (field == "" || field == "avatar_url") {
		out["avatar_url"] = p.AvatarURL
	}
	return out
}

// getProfile is GET /profile/{userId}.
func (a *API) getProfile(ctx *fasthttp.RequestCtx) error {
	p, err := a.profileOf(ctx)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, profileJSON(p, ""))
	return nil
}

func profileField(ctx *fasthttp.RequestCtx) (string, error) {
	f, err := axhttp.Param(ctx, "field")
	if err != nil {
		return "", err
	}
	if f != "displayname" && f != "avatar_url" {
		// Custom profile fields (spec v1.16) are not stored here yet.
		return "", axhttp.Errorf(axhttp.CodeNotFound, "Profile field not found")
	}
	return f, nil
}

// getProfileField is GET /profile/{userId}/displayname and /avatar_url.
func (a *API) getProfileField(ctx *fasthttp.RequestCtx) error {
	f, err := profileField(ctx)
	if err != nil {
		return err
	}
	p, err := a.profileOf(ctx)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, profileJSON(p, f))
	return nil
}

// putProfileField is PUT /profile/{userId}/displayname and /avatar_url:
// only one's own, and avatar_url must be an mxc:// URI or empty.
func (a *API) putProfileField(ctx *fasthttp.RequestCtx, s user.Session) error {
	f, err := profileField(ctx)
	if err != nil {
		return err
	}
	if err := a.profileWriteAllowed(ctx, s, f); err != nil {
		return err
	}
	var req map[string]any
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	raw, present := req[f]
	val, isString := raw.(string)
	if present && raw != nil && !isString {
		return axhttp.Errorf(axhttp.CodeBadJSON, "%s must be a string", f)
	}
	if !present {
		return axhttp.MissingParam(f)
	}
	var cmd user.SetProfile
	switch f {
	case "displayname":
		if len(val) > maxDisplayNameBytes {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "displayname is too long")
		}
		cmd.DisplayName = &val
	case "avatar_url":
		if val != "" && !validMXC(val) {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "avatar_url must be an mxc:// URI")
		}
		cmd.AvatarURL = &val
	}
	if _, err := a.doUser(s.Localpart, cmd); err != nil {
		return err
	}
	a.propagateProfile(s.Localpart)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// profileWriteAllowed: only one's own profile, and guests only their
// display name (spec: "Guest access").
func (a *API) profileWriteAllowed(ctx *fasthttp.RequestCtx, s user.Session, field string) error {
	if err := a.selfParam(ctx, s, "the profile"); err != nil {
		return err
	}
	if s.Guest && field != "displayname" {
		return axhttp.Errorf(axhttp.CodeGuestAccessForbidden, "Guests may only change their display name")
	}
	return nil
}

// deleteProfileField is DELETE /profile/{userId}/{keyName} (spec v1.16):
// the field is removed.
func (a *API) deleteProfileField(ctx *fasthttp.RequestCtx, s user.Session) error {
	f, err := profileField(ctx)
	if err != nil {
		return err
	}
	if err := a.profileWriteAllowed(ctx, s, f); err != nil {
		return err
	}
	empty := ""
	cmd := user.SetProfile{DisplayName: &empty}
	if f == "avatar_url" {
		cmd = user.SetProfile{AvatarURL: &empty}
	}
	if _, err := a.doUser(s.Localpart, cmd); err != nil {
		return err
	}
	a.propagateProfile(s.Localpart)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// validMXC checks mxc://<server-name>/<media-id> (spec: "Matrix Content
// (mxc://) URIs"; media IDs are [A-Za-z0-9_-]+).
func validMXC(u string) bool {
	rest, ok := strings.CutPrefix(u, "mxc://")
	if !ok {
		return false
	}
	server, media, ok := strings.Cut(rest, "/")
	if !ok || media == "" {
		return false
	}
	if _, err := ids.ParseServerName(server); err != nil {
		return false
	}
	for _, c := range []byte(media) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
