package federation

import (
	"errors"
	"sort"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// queryProfile answers GET /_matrix/federation/v1/query/profile
// (query.yaml): a local user's displayname and avatar_url, or one of them
// when field is given.
func (a *API) queryProfile(ctx *fasthttp.RequestCtx, _ string) error {
	userID := axhttp.Query(ctx, "user_id")
	if userID == "" {
		return axhttp.MissingParam("user_id")
	}
	field := axhttp.Query(ctx, "field")
	if field != "" && field != "displayname" && field != "avatar_url" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "field must be displayname or avatar_url")
	}
	lp, ok := a.localpartOf(userID)
	if !ok {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "User is not a user of this server")
	}
	if _, err := a.cfg.Store.Account(lp); errors.Is(err, persistence.ErrNotFound) {
		return notFound("User does not exist")
	} else if err != nil {
		return err
	}
	p, err := a.cfg.Store.Profile(lp)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	out := map[string]string{}
	if p.DisplayName != "" && field != "avatar_url" {
		out["displayname"] = p.DisplayName
	}
	if p.AvatarURL != "" && field != "displayname" {
		out["avatar_url"] = p.AvatarURL
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, out)
	return nil
}

// queryDirectory answers GET /_matrix/federation/v1/query/directory
// (query.yaml): the room of a local alias and the servers in it.
func (a *API) queryDirectory(ctx *fasthttp.RequestCtx, _ string) error {
	alias := axhttp.Query(ctx, "room_alias")
	if alias == "" {
		return axhttp.MissingParam("room_alias")
	}
	al, err := a.cfg.Store.ResolveAlias(alias)
	if errors.Is(err, persistence.ErrNotFound) {
		return notFound("Room alias not found")
	}
	if err != nil {
		return err
	}
	servers := []string{a.cfg.ServerName}
	if cur, err := a.cfg.Store.CurrentState(al.RoomID); err == nil {
		seen := map[string]bool{a.cfg.ServerName: true}
		members, err := a.cfg.Store.MembersOf(cur)
		if err != nil {
			return err
		}
		var others []string
		for uid, rec := range members {
			ev, err := rec.Event()
			if err != nil || core.MembershipOf(ev) != "join" {
				continue
			}
			s := serverOf(uid)
			if !seen[s] {
				seen[s] = true
				others = append(others, s)
			}
		}
		sort.Strings(others)
		servers = append(servers, others...)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"room_id": al.RoomID, "servers": servers})
	return nil
}
