package client

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
)

// aliasParam reads and validates the roomAlias path parameter
// (appendices.md "Room Aliases") [400 M_INVALID_PARAM].
func aliasParam(ctx *fasthttp.RequestCtx) (string, ids.RoomAlias, error) {
	s, err := axhttp.Param(ctx, "roomAlias")
	if err != nil {
		return "", "", err
	}
	al, err := ids.ParseRoomAlias(s)
	if err != nil {
		return "", "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room alias")
	}
	return s, al, nil
}

// localAlias is aliasParam for an alias this server must own.
func (a *API) localAlias(ctx *fasthttp.RequestCtx) (string, error) {
	s, al, err := aliasParam(ctx)
	if err != nil {
		return "", err
	}
	if string(al.Server()) != a.cfg.ServerName {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Room alias must be on this server (%s)", a.cfg.ServerName)
	}
	return s, nil
}

// PUT /directory/room/{roomAlias} (directory.yaml): a joined member maps a
// new local alias to the room; an existing alias is 409 M_UNKNOWN.
func (a *API) putAlias(ctx *fasthttp.RequestCtx, s user.Session) error {
	alias, err := a.localAlias(ctx)
	if err != nil {
		return err
	}
	var body struct {
		RoomID string `json:"room_id"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if body.RoomID == "" {
		return axhttp.MissingParam("room_id")
	}
	if _, err := ids.ParseRoomID(body.RoomID); err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room ID")
	}
	if _, err := a.cfg.Store.Room(body.RoomID); errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Unknown room")
	} else if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	m, err := a.cfg.Store.Membership(uid, body.RoomID)
	if err != nil {
		return err
	}
	if m.Membership != event.MembershipJoin {
		return axhttp.Errorf(axhttp.CodeForbidden, "You must be in the room to give it an alias")
	}
	err = a.cfg.Store.PutAlias(persistence.Alias{Alias: alias, RoomID: body.RoomID, Creator: uid, CreatedMS: a.readNow()})
	if errors.Is(err, persistence.ErrAliasInUse) {
		return axhttp.Errorf(axhttp.CodeUnknown, "Room alias %s already exists", alias).WithStatus(fasthttp.StatusConflict)
	}
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// GET /directory/room/{roomAlias} (directory.yaml). Only local aliases
// resolve: asking another server over federation is not done here.
func (a *API) getAlias(ctx *fasthttp.RequestCtx) error {
	alias, _, err := aliasParam(ctx)
	if err != nil {
		return err
	}
	rec, err := a.cfg.Store.ResolveAlias(alias)
	if errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s not found", alias)
	}
	if err != nil {
		return err
	}
	servers := []string{a.cfg.ServerName}
	if r, err := a.roomSnapshot(rec.RoomID); err == nil {
		servers = serversFirst(r.Servers(), a.cfg.ServerName)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"room_id": rec.RoomID, "servers": servers})
	return nil
}

// serversFirst puts ours first: the server that resolved the alias is the
// one a client should try.
func serversFirst(servers []string, ours string) []string {
	out := []string{ours}
	for _, s := range servers {
		if s != ours {
			out = append(out, s)
		}
	}
	return out
}

// DELETE /directory/room/{roomAlias} (directory.yaml): the alias's creator,
// a user with the power to send m.room.canonical_alias in its room, or a
// server admin may delete it (Synapse's rule). An alias that was the room's
// canonical alias is taken out of m.room.canonical_alias.
func (a *API) deleteAlias(ctx *fasthttp.RequestCtx, s user.Session) error {
	alias, err := a.localAlias(ctx)
	if err != nil {
		return err
	}
	rec, err := a.cfg.Store.ResolveAlias(alias)
	if errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s not found", alias)
	}
	if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	if ok, err := a.mayDeleteAlias(rec, s); err != nil {
		return err
	} else if !ok {
		return axhttp.Errorf(axhttp.CodeForbidden, "You may not delete this alias")
	}
	if err := a.cfg.Store.DeleteAlias(alias); err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	if err := a.dropCanonicalAlias(rec.RoomID, uid, alias); err != nil {
		a.log.Warn("alias deleted, canonical alias not updated")
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

func (a *API) mayDeleteAlias(rec persistence.Alias, s user.Session) (bool, error) {
	uid := a.userID(s.Localpart)
	if rec.Creator == uid {
		return true, nil
	}
	if acc, err := a.cfg.Store.Account(s.Localpart); err == nil && acc.Admin {
		return true, nil
	}
	r, err := a.roomSnapshot(rec.RoomID)
	if errors.Is(err, errNoSuchRoom) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.Membership(uid) == event.MembershipJoin && mayChangeStateNow(r, uid, event.TypeCanonicalAlias), nil
}

// GET /rooms/{roomId}/aliases (directory.yaml): the local aliases, for
// members and for anyone in a world_readable room.
func (a *API) getRoomAliases(ctx *fasthttp.RequestCtx, s user.Session) error {
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	if !v.joined() && !v.worldReadable {
		return axhttp.Errorf(axhttp.CodeForbidden, "You are not in this room")
	}
	aliases, err := a.cfg.Store.RoomAliases(v.roomID)
	if err != nil {
		return err
	}
	if aliases == nil {
		aliases = []string{}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"aliases": aliases})
	return nil
}
