package client

import (
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
)

// reasonBody is the body of the membership endpoints (joining.yaml,
// leaving.yaml, kicking.yaml, banning.yaml, inviting.yaml, knocking.yaml).
type reasonBody struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
}

// resolveRoom turns {roomIdOrAlias} into a room ID, with the servers to
// reach it through when this server does not hold it: an alias of another
// server is resolved by that server (GET /query/directory, server-server-api
// "Querying directory information"), which also names the servers in the
// room.
func (a *API) resolveRoom(ctx *fasthttp.RequestCtx) (string, []string, error) {
	s, err := axhttp.Param(ctx, "roomIdOrAlias")
	if err != nil {
		return "", nil, err
	}
	if strings.HasPrefix(s, "#") {
		alias, err := ids.ParseRoomAlias(s)
		if err != nil {
			return "", nil, axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room alias: %v", err)
		}
		if alias.Server() != ids.ServerName(a.cfg.ServerName) {
			return a.resolveRemoteAlias(s, string(alias.Server()))
		}
		al, err := a.cfg.Store.ResolveAlias(s)
		if errors.Is(err, persistence.ErrNotFound) {
			return "", nil, axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s not found", s)
		}
		if err != nil {
			return "", nil, err
		}
		return al.RoomID, nil, nil
	}
	if _, err := ids.ParseRoomID(s); err != nil {
		return "", nil, axhttp.Errorf(axhttp.CodeInvalidParam, "Not a room ID or alias: %v", err)
	}
	return s, nil, nil
}

// resolveRemoteAlias asks the alias's server for it.
func (a *API) resolveRemoteAlias(alias, server string) (string, []string, error) {
	hs := a.handshake()
	if hs == nil {
		return "", nil, axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s is on another server and this server does not federate", alias)
	}
	c, cancel := a.ctx()
	defer cancel()
	roomID, servers, err := hs.QueryDirectory(c, alias, server)
	var fe *federation.Error
	if errors.As(err, &fe) && fe.Status == fasthttp.StatusNotFound {
		return "", nil, axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s not found", alias)
	}
	if err != nil {
		// An alias whose server cannot be reached cannot be found either
		// (directory.yaml GET /directory/room/{roomAlias}: 404).
		return "", nil, axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s could not be resolved through %s: %v", alias, server, err)
	}
	if _, err := ids.ParseRoomID(roomID); err != nil {
		return "", nil, axhttp.Errorf(axhttp.CodeUnknown, "%s answered an invalid room ID for %s", server, alias).WithStatus(fasthttp.StatusBadGateway)
	}
	return roomID, append([]string{server}, servers...), nil
}

func (a *API) proposeMembership(ctx *fasthttp.RequestCtx, roomID string, p core.Proposal, reply any) error {
	c, cancel := a.ctx()
	defer cancel()
	if _, err := a.cfg.Rooms.Propose(c, roomID, p, nil); err != nil {
		return roomWriteError(err)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, reply)
	return nil
}

// joinByIDOrAlias is POST /join/{roomIdOrAlias}.
func (a *API) joinByIDOrAlias(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, via, err := a.resolveRoom(ctx)
	if err != nil {
		return err
	}
	return a.join(ctx, s, roomID, via)
}

// joinRoom is POST /rooms/{roomId}/join.
func (a *API) joinRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	return a.join(ctx, s, roomID, nil)
}

// join joins the user to roomID: locally when this server holds the room,
// else over federation through via and the other servers viaServers
// finds.
func (a *API) join(ctx *fasthttp.RequestCtx, s user.Session, roomID string, via []string) error {
	var body reasonBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	opts, err := a.withProfile(s.Localpart, core.MemberOptions{Reason: body.Reason})
	if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	held, err := a.holds(roomID)
	if err != nil {
		return err
	}
	if !held {
		if err := a.remoteJoin(roomID, uid, a.viaServers(ctx, roomID, uid, via), opts); err != nil {
			return err
		}
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"room_id": roomID})
		return nil
	}
	c, cancel := a.ctx()
	defer cancel()
	if _, err := a.cfg.Rooms.Join(c, roomID, uid, opts); err != nil {
		return roomWriteError(err)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"room_id": roomID})
	return nil
}

// knock is POST /knock/{roomIdOrAlias} (knocking.yaml).
func (a *API) knock(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, via, err := a.resolveRoom(ctx)
	if err != nil {
		return err
	}
	var body reasonBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	opts, err := a.withProfile(s.Localpart, core.MemberOptions{Reason: body.Reason})
	if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	if held, err := a.holds(roomID); err != nil {
		return err
	} else if !held {
		if err := a.remoteMembership(roomID, uid, event.MembershipKnock, a.viaServers(ctx, roomID, uid, via), opts); err != nil {
			return err
		}
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"room_id": roomID})
		return nil
	}
	p := core.Knock(uid, opts)
	return a.proposeMembership(ctx, roomID, p, map[string]string{"room_id": roomID})
}

// leaveRoom is POST /rooms/{roomId}/leave: leaving, rejecting an invite or
// withdrawing a knock.
func (a *API) leaveRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	var body reasonBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	if held, err := a.holds(roomID); err != nil {
		return err
	} else if !held {
		// An invite or knock of a room this server is not in: rejected or
		// withdrawn through the room's servers (make_leave/send_leave).
		if m, err := a.cfg.Store.Membership(uid, roomID); err != nil {
			return err
		} else if m.Membership != event.MembershipInvite && m.Membership != event.MembershipKnock {
			return axhttp.Errorf(axhttp.CodeNotFound, "User %s is not in room %s", uid, roomID)
		}
		if err := a.remoteMembership(roomID, uid, event.MembershipLeave, a.viaServers(ctx, roomID, uid, nil), core.MemberOptions{Reason: body.Reason}); err != nil {
			return err
		}
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
		return nil
	}
	p := core.Leave(uid, body.Reason)
	return a.proposeMembership(ctx, roomID, p, struct{}{})
}

// forgetRoom is POST /rooms/{roomId}/forget: only a room the user has left
// (or been banned or kicked from) may be forgotten (leaving.yaml: 400
// M_UNKNOWN otherwise).
func (a *API) forgetRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	m, err := a.cfg.Store.Membership(uid, roomID)
	if err != nil {
		return err
	}
	switch m.Membership {
	case event.MembershipJoin, event.MembershipInvite, event.MembershipKnock:
		return axhttp.Errorf(axhttp.CodeUnknown, "User %s is in room %s", uid, roomID).WithStatus(fasthttp.StatusBadRequest)
	}
	if m.EventNID == 0 {
		return axhttp.Errorf(axhttp.CodeNotFound, "User %s has never been in room %s", uid, roomID)
	}
	b := a.cfg.Store.NewBatch()
	b.SetForgotten(uid, roomID, true)
	if err := b.Commit(); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// memberAction handles POST /rooms/{roomId}/{invite,kick,ban,unban}: the
// sender acting on body.user_id; action is the last path segment.
func (a *API) memberAction(action string) func(*fasthttp.RequestCtx, user.Session) error {
	return func(ctx *fasthttp.RequestCtx, s user.Session) error {
		roomID, err := pathRoomID(ctx)
		if err != nil {
			return err
		}
		var body reasonBody
		if err := axhttp.DecodeJSON(ctx, &body); err != nil {
			return err
		}
		if body.UserID == "" {
			return axhttp.MissingParam("user_id")
		}
		target, err := ids.ParseUserIDLenient(body.UserID)
		if err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed user_id: %v", err)
		}
		sender, t := a.userID(s.Localpart), string(target)
		var p core.Proposal
		switch action {
		case "invite":
			if target.Server() != ids.ServerName(a.cfg.ServerName) {
				if err := a.remoteInvite(roomID, core.Invite(sender, t, core.MemberOptions{Reason: body.Reason})); err != nil {
					return err
				}
				axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
				return nil
			}
			opts, err := a.withProfile(target.Localpart(), core.MemberOptions{Reason: body.Reason})
			if err != nil {
				return err
			}
			p = core.Invite(sender, t, opts)
		case "kick":
			p = core.Kick(sender, t, body.Reason)
		case "ban":
			p = core.Ban(sender, t, body.Reason)
		default:
			p = core.Unban(sender, t, body.Reason)
		}
		return a.proposeMembership(ctx, roomID, p, struct{}{})
	}
}
