package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// remoteTimeout bounds one membership handshake with other servers
// (all the servers tried, verification of the returned state included).
const remoteTimeout = 2 * time.Minute

// handshake returns the federation side of membership changes, or nil
// when this server does not federate.
func (a *API) handshake() *federation.Handshake {
	if a.cfg.Federation == nil {
		return nil
	}
	return a.cfg.Federation()
}

// viaServers collects the servers to try for a room this server does not
// hold, in order, without duplicates and without this server: the ones
// the caller found (alias resolution), the server_name and via query
// parameters (joining.yaml, knocking.yaml), the servers of the local
// user's invite or knock (its sender and its stripped state's senders),
// and the server part of a room ID that has one.
func (a *API) viaServers(ctx *fasthttp.RequestCtx, roomID, userID string, found []string) []string {
	var out []string
	add := func(s string) {
		if s != "" && s != a.cfg.ServerName && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range found {
		add(s)
	}
	for _, name := range []string{"server_name", "via"} {
		for _, v := range ctx.QueryArgs().PeekMulti(name) {
			add(string(v))
		}
	}
	if m, err := a.cfg.Store.Membership(userID, roomID); err == nil && m.EventNID != 0 {
		if rec, err := a.cfg.Store.EventByNID(m.EventNID); err == nil {
			if ev, err := rec.Event(); err == nil {
				add(serverPart(ev.Sender))
			}
			for _, s := range strippedSenders(rec.Raw) {
				add(serverPart(s))
			}
		}
	}
	if rid, err := ids.ParseRoomID(roomID); err == nil {
		add(serverPart(string(rid)))
	}
	return out
}

// strippedSenders lists the senders of the stripped state kept with an
// invite or knock (unsigned.invite_room_state, unsigned.knock_room_state):
// servers in the room, which is all a room ID of version 12 leaves to go
// on when a knock is withdrawn.
func strippedSenders(raw []byte) []string {
	var ev struct {
		Unsigned struct {
			Invite []struct {
				Sender string `json:"sender"`
			} `json:"invite_room_state"`
			Knock []struct {
				Sender string `json:"sender"`
			} `json:"knock_room_state"`
		} `json:"unsigned"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return nil
	}
	var out []string
	for _, s := range append(ev.Unsigned.Invite, ev.Unsigned.Knock...) {
		out = append(out, s.Sender)
	}
	return out
}

// serverPart is what follows the first colon of an ID ("" without one).
func serverPart(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[i+1:]
		}
	}
	return ""
}

// holds reports whether this server has the room stored.
func (a *API) holds(roomID string) (bool, error) {
	_, err := a.cfg.Store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// memberContent is the content this server adds to a membership template:
// the user's profile and the reason.
func memberContent(o core.MemberOptions) map[string]any {
	c := map[string]any{}
	if o.DisplayName != "" {
		c["displayname"] = o.DisplayName
	}
	if o.AvatarURL != "" {
		c["avatar_url"] = o.AvatarURL
	}
	if o.Reason != "" {
		c["reason"] = o.Reason
	}
	return c
}

// remoteJoin joins userID to a room this server does not hold
// (server-server-api "Joining Rooms"), trying servers in order: make_join,
// build and sign, send_join, verify the returned state and auth chain,
// then the room actor adopts the room and this server participates in
// it. A server that fails, or whose answer does not verify, is skipped.
func (a *API) remoteJoin(roomID, userID string, servers []string, o core.MemberOptions) error {
	hs := a.handshake()
	if hs == nil || len(servers) == 0 {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room %s is not known to this server and no server to join it through is known", roomID)
	}
	c, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	var last error
	for _, srv := range servers {
		ev, err := hs.Make(c, srv, roomID, userID, event.MembershipJoin, memberContent(o))
		if err != nil {
			last = err
			continue
		}
		res, err := hs.SendJoin(c, srv, ev)
		if err != nil {
			a.log.Info("remote join refused or did not verify", zap.String("room_id", roomID), zap.String("destination", srv), zap.Error(err))
			last = err
			continue
		}
		err = a.cfg.Rooms.Adopt(c, room.Joined{Join: res.Join, State: res.State, AuthChain: res.AuthChain})
		if errors.Is(err, room.ErrRoomHeld) {
			// Another local user's join got there first: join locally.
			_, err = a.cfg.Rooms.Join(c, roomID, userID, o)
		}
		return roomWriteError(err)
	}
	return remoteError(last)
}

// remoteError maps the last failure of a remote handshake to what the
// client sees: the remote server's own refusal when it gave one.
func remoteError(err error) error {
	var fe *federation.Error
	switch {
	case errors.As(err, &fe) && fe.Status == fasthttp.StatusForbidden:
		return axhttp.Errorf(axhttp.CodeForbidden, "Refused by the room's server: %s", fe.Message)
	case errors.As(err, &fe) && fe.Code == string(axhttp.CodeIncompatibleRoomVer):
		return axhttp.Errorf(axhttp.CodeIncompatibleRoomVer, "%s", fe.Message)
	case errors.As(err, &fe) && fe.Status == fasthttp.StatusNotFound:
		return axhttp.Errorf(axhttp.CodeNotFound, "The room's server does not know the room")
	case errors.Is(err, federation.ErrUnsupportedVersion):
		return axhttp.Errorf(axhttp.CodeIncompatibleRoomVer, "%v", err)
	}
	return axhttp.Errorf(axhttp.CodeUnknown, "Could not reach the room through any server: %v", err).WithStatus(fasthttp.StatusBadGateway)
}

// remoteMembership knocks on, or leaves (rejects an invite to, withdraws
// a knock on), a room this server does not hold through the servers given
// (make_knock/send_knock, make_leave/send_leave) and records the new
// membership for the user's /sync.
func (a *API) remoteMembership(roomID, userID, membership string, servers []string, o core.MemberOptions) error {
	hs := a.handshake()
	if hs == nil || len(servers) == 0 {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room %s is not known to this server and no server to reach it through is known", roomID)
	}
	c, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	var last error
	for _, srv := range servers {
		ev, err := hs.Make(c, srv, roomID, userID, membership, memberContent(o))
		if err != nil {
			last = err
			continue
		}
		if membership == event.MembershipKnock {
			stripped, err := hs.SendKnock(c, srv, ev)
			if err != nil {
				last = err
				continue
			}
			if ev, err = withStripped(ev, "knock_room_state", stripped); err != nil {
				return err
			}
		} else if err := hs.SendLeave(c, srv, ev); err != nil {
			last = err
			continue
		}
		return roomWriteError(a.cfg.Rooms.RecordMembership(c, ev, membership))
	}
	return remoteError(last)
}

// withStripped returns ev with unsigned[key] = stripped (outside the
// signatures).
func withStripped(ev *event.Event, key string, stripped []json.RawMessage) (*event.Event, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(ev.Raw, &obj); err != nil {
		return nil, err
	}
	if stripped == nil {
		stripped = []json.RawMessage{}
	}
	u, err := json.Marshal(map[string]any{key: stripped})
	if err != nil {
		return nil, err
	}
	obj["unsigned"] = u
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return event.Parse(raw, ev.Version)
}

// strippedTypes are the state events sent as stripped state with an
// invite (client-server-api "Stripped state": the recommended types).
var inviteStrippedTypes = []string{"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar",
	"m.room.canonical_alias", "m.room.encryption", "m.room.topic"}

// remoteInvite invites a user of another server (server-server-api
// "Inviting to a room"): the invite is built and signed from the room's
// stored state, checked against the auth rules, sent with the room's
// stripped state to the invitee's server (PUT /v2/invite), and only once
// that server has countersigned it does the room actor apply it, like an
// event received from another server, and send it to the servers in the
// room. A refusal by the invitee's server leaves the room untouched.
func (a *API) remoteInvite(roomID string, p core.Proposal) error {
	hs := a.handshake()
	if hs == nil {
		return axhttp.Errorf(axhttp.CodeForbidden, "This server does not federate: users of other servers cannot be invited")
	}
	c, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	ev, err := a.buildLocal(hs, roomID, p)
	if err != nil {
		return err
	}
	stripped, err := a.strippedState(roomID)
	if err != nil {
		return err
	}
	signed, err := hs.SendInvite(c, ev, stripped)
	if err != nil {
		a.log.Info("remote invite refused", zap.String("room_id", roomID), zap.String("event_id", ev.ID), zap.Error(err))
		return remoteError(fmt.Errorf("inviting through %s: %w", serverPart(*ev.StateKey), err))
	}
	res, err := a.cfg.Rooms.StepForward(c, signed, "")
	if err != nil {
		return roomWriteError(err)
	}
	if !res.Known && res.Outcome != core.Accepted {
		return axhttp.Errorf(axhttp.CodeForbidden, "The invite was refused by the room's authorisation rules: %v", res.Reason)
	}
	return nil
}

// buildLocal builds and signs p as this server from the room's stored
// state: prev_events are the forward extremities, auth_events follow
// server-server-api "Auth events selection", and the auth rules are run
// against the current state before anything leaves the server.
func (a *API) buildLocal(hs *federation.Handshake, roomID string, p core.Proposal) (*event.Event, error) {
	info, err := a.cfg.Store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, axhttp.Errorf(axhttp.CodeNotFound, "Unknown room")
	}
	if err != nil {
		return nil, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return nil, err
	}
	needed, err := auth.EventsNeeded(v, p.Type, p.StateKey, p.Sender, p.Content)
	if err != nil {
		return nil, axhttp.Errorf(axhttp.CodeBadJSON, "%v", err)
	}
	proto := event.Proto{RoomID: roomID, Type: p.Type, StateKey: p.StateKey, Sender: p.Sender, Content: p.Content,
		OriginServerTS: time.Now().UnixMilli()}
	if v.Format == version.FormatV1 {
		proto.ReferenceHashes = map[string][32]byte{}
	}
	state := auth.StateMap{}
	for _, k := range needed {
		rec, err := a.cfg.Store.CurrentStateEvent(roomID, k.Type, k.StateKey)
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ev, err := rec.Event()
		if err != nil {
			return nil, err
		}
		state[k] = ev
		proto.AuthEvents = append(proto.AuthEvents, ev.ID)
		if proto.ReferenceHashes != nil {
			if proto.ReferenceHashes[ev.ID], err = event.ReferenceHash(ev.Raw, v); err != nil {
				return nil, err
			}
		}
	}
	if rec, err := a.cfg.Store.CurrentStateEvent(roomID, event.TypeCreate, ""); err == nil {
		if ev, err := rec.Event(); err == nil {
			state[ev.Key()] = ev // v12 does not cite it, the auth rules still read it
		}
	}
	nids, err := a.cfg.Store.Extremities(roomID)
	if err != nil {
		return nil, err
	}
	prevs, err := a.cfg.Store.EventsByNID(nids)
	if err != nil {
		return nil, err
	}
	for _, r := range prevs {
		proto.Depth = max(proto.Depth, r.Depth)
		proto.PrevEvents = append(proto.PrevEvents, r.EventID)
		if proto.ReferenceHashes != nil {
			if proto.ReferenceHashes[r.EventID], err = event.ReferenceHash(r.Raw, v); err != nil {
				return nil, err
			}
		}
	}
	proto.Depth++
	ev, err := proto.Build(v, hs.ServerName, hs.Key)
	if err != nil {
		return nil, axhttp.Errorf(axhttp.CodeBadJSON, "%v", err)
	}
	if err := auth.Allowed(ev, state); err != nil {
		return nil, axhttp.Errorf(axhttp.CodeForbidden, "%s", reason(err))
	}
	return ev, nil
}

// strippedState is the room's current state of inviteStrippedTypes in
// stripped form (type, state_key, content, sender).
func (a *API) strippedState(roomID string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, typ := range inviteStrippedTypes {
		se, err := a.cfg.Store.CurrentStateEvent(roomID, typ, "")
		if err != nil {
			continue
		}
		s, err := se.Event()
		if err != nil {
			continue
		}
		raw, err := json.Marshal(map[string]any{"type": s.Type, "state_key": *s.StateKey, "content": s.Content, "sender": s.Sender})
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}
