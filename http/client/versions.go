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

// capabilities (spec: GET /capabilities). Profile and 3PID endpoints do not
// exist yet, so their capabilities are advertised as disabled.
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
		"m.set_displayname": disabled,
		"m.set_avatar_url":  disabled,
		"m.3pid_changes":    disabled,
		"m.get_login_token": disabled,
	}})
	return nil
}
