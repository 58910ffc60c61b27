package client

import (
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
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

// resolveRoom turns {roomIdOrAlias} into a room ID this server holds.
// Rooms and aliases of other servers need federation, which Axon does not
// speak to clients' rooms yet: they are M_NOT_FOUND with that said.
func (a *API) resolveRoom(ctx *fasthttp.RequestCtx) (string, error) {
	s, err := axhttp.Param(ctx, "roomIdOrAlias")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "#") {
		alias, err := ids.ParseRoomAlias(s)
		if err != nil {
			return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room alias: %v", err)
		}
		if alias.Server() != ids.ServerName(a.cfg.ServerName) {
			return "", axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s is on another server; joining over federation is not supported yet", s)
		}
		al, err := a.cfg.Store.ResolveAlias(s)
		if errors.Is(err, persistence.ErrNotFound) {
			return "", axhttp.Errorf(axhttp.CodeNotFound, "Room alias %s not found", s)
		}
		if err != nil {
			return "", err
		}
		return al.RoomID, nil
	}
	if _, err := ids.ParseRoomID(s); err != nil {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Not a room ID or alias: %v", err)
	}
	if _, err := a.cfg.Store.Room(s); errors.Is(err, persistence.ErrNotFound) {
		return "", axhttp.Errorf(axhttp.CodeNotFound, "Room %s is not known to this server; joining over federation is not supported yet", s)
	} else if err != nil {
		return "", err
	}
	return s, nil
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
	roomID, err := a.resolveRoom(ctx)
	if err != nil {
		return err
	}
	return a.join(ctx, s, roomID)
}

// joinRoom is POST /rooms/{roomId}/join.
func (a *API) joinRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Store.Room(roomID); errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room %s is not known to this server; joining over federation is not supported yet", roomID)
	}
	return a.join(ctx, s, roomID)
}

func (a *API) join(ctx *fasthttp.RequestCtx, s user.Session, roomID string) error {
	var body reasonBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	opts, err := a.withProfile(s.Localpart, core.MemberOptions{Reason: body.Reason})
	if err != nil {
		return err
	}
	c, cancel := a.ctx()
	defer cancel()
	if _, err := a.cfg.Rooms.Join(c, roomID, a.userID(s.Localpart), opts); err != nil {
		return roomWriteError(err)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"room_id": roomID})
	return nil
}

// knock is POST /knock/{roomIdOrAlias} (knocking.yaml).
func (a *API) knock(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := a.resolveRoom(ctx)
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
	p := core.Knock(a.userID(s.Localpart), opts)
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
	p := core.Leave(a.userID(s.Localpart), body.Reason)
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
				return axhttp.Errorf(axhttp.CodeForbidden, "Inviting users of other servers needs federation, which is not supported yet")
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
