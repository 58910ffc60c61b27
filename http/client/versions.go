package client

import (
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/version"
)

// supportedVersions are the spec versions Axon advertises (spec: GET
// /_matrix/client/versions).
var supportedVersions = []string{
	"r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8",
	"v1.9", "v1.10", "v1.11", "v1.12",
}

func (a *API) versions(ctx *fasthttp.RequestCtx) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"versions":          supportedVersions,
		"unstable_features": map[string]bool{},
	})
	return nil
}

// wellKnownClient points clients at this listener (spec: GET
// /.well-known/matrix/client): the base URL is the scheme and Host the
// client reached us with.
func (a *API) wellKnownClient(ctx *fasthttp.RequestCtx) error {
	host := string(ctx.Host())
	if host == "" || strings.ContainsAny(host, "/\\ ") {
		host = a.cfg.ServerName
	}
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"m.homeserver": map[string]string{"base_url": scheme + "://" + host},
	})
	return nil
}

// wellKnownServer delegates federation to the federation listener (spec:
// server-server-api "GET /.well-known/matrix/server").
func (a *API) wellKnownServer(ctx *fasthttp.RequestCtx) error {
	server := ""
	if a.cfg.WellKnownServer != nil {
		server = a.cfg.WellKnownServer()
	}
	if server == "" {
		return axhttp.Errorf(axhttp.CodeNotFound, "")
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"m.server": server})
	return nil
}

// capabilities (spec: GET /capabilities). 3PID changes and login tokens do
// not exist yet, so they are advertised as disabled. Of the profile fields
// only displayname and avatar_url are stored: m.profile_fields lists them,
// and the deprecated m.set_displayname and m.set_avatar_url say the same
// for older clients (spec v1.16 "m.profile_fields capability"). Guests,
// who may set only their display name, cannot call this endpoint.
func (a *API) capabilities(ctx *fasthttp.RequestCtx, _ user.Session) error {
	available := map[string]string{}
	for _, s := range version.All() {
		status := "unstable"
		if s.Stable {
			status = "stable"
		}
		available[string(s.ID)] = status
	}
	disabled := map[string]bool{"enabled": false}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"capabilities": map[string]any{
		"m.change_password": map[string]bool{"enabled": true},
		"m.room_versions":   map[string]any{"default": string(a.defaultRoomVersion()), "available": available},
		"m.profile_fields":  map[string]any{"enabled": true, "allowed": []string{"displayname", "avatar_url"}},
		"m.set_displayname": map[string]bool{"enabled": true},
		"m.set_avatar_url":  map[string]bool{"enabled": true},
		"m.3pid_changes":    disabled,
		"m.get_login_token": disabled,
	}})
	return nil
}
