package client

import (
	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// Server-side key backups (spec: "Server-side key backups",
// key_backup.yaml) are not stored yet. Every endpoint answers as a server
// on which no backup version exists: reads and writes of a version are
// M_NOT_FOUND, and creating a backup is refused rather than pretended.
func (a *API) mountRoomKeys(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, put, post, del := fasthttp.MethodGet, fasthttp.MethodPut, fasthttp.MethodPost, fasthttp.MethodDelete
	rt.Handle(get, p+"/room_keys/version", plain, a.authed(a.noBackup))
	rt.Handle(get, p+"/room_keys/version/{version}", plain, a.authed(a.noBackup))
	rt.Handle(put, p+"/room_keys/version/{version}", plain, a.authed(a.noBackup))
	rt.Handle(del, p+"/room_keys/version/{version}", plain, a.authed(a.noBackup))
	rt.Handle(post, p+"/room_keys/version", plain, a.authed(a.createBackup))
	for _, path := range []string{"/room_keys/keys", "/room_keys/keys/{roomId}", "/room_keys/keys/{roomId}/{sessionId}"} {
		rt.Handle(get, p+path, plain, a.authed(a.noBackup))
		rt.Handle(put, p+path, plain, a.authed(a.noBackup))
		rt.Handle(del, p+path, plain, a.authed(a.noBackup))
	}
}

func (a *API) noBackup(*fasthttp.RequestCtx, user.Session) error {
	return axhttp.Errorf(axhttp.CodeNotFound, "No current backup version")
}

func (a *API) createBackup(*fasthttp.RequestCtx, user.Session) error {
	return axhttp.Errorf(axhttp.CodeForbidden, "Key backup is not available on this server yet")
}
