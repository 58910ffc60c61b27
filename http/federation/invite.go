package federation

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// inviteMaxBody bounds a v2 invite: the event and its stripped state.
const inviteMaxBody = 256 << 10

// inviteRequest is the body of PUT /v2/invite (invites-v2.yaml).
type inviteRequest struct {
	RoomVersion     string            `json:"room_version"`
	Event           json.RawMessage   `json:"event"`
	InviteRoomState []json.RawMessage `json:"invite_room_state"`
}

// invite answers PUT /_matrix/federation/v2/invite/{roomId}/{eventId}
// (server-server-api "Inviting to a room"): the invite of a user of this
// server, sent by a user of the requesting server, is checked like any
// PDU, signed by this server and returned; it is stored for the invitee
// with the stripped state in unsigned.invite_room_state, where the
// invitee's /sync finds it (persistence: Store.Membership, then the
// event at its EventNID). A room version this server does not support is
// 400 M_INCOMPATIBLE_ROOM_VERSION.
func (a *API) invite(ctx *fasthttp.RequestCtx, origin string) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	eventID, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return err
	}
	var req inviteRequest
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	v, err := version.Lookup(version.ID(req.RoomVersion))
	if err != nil {
		e := axhttp.Errorf(axhttp.CodeIncompatibleRoomVer, "Room version %q is not supported by this server", req.RoomVersion)
		e.Extra = map[string]any{"room_version": req.RoomVersion}
		return e
	}
	checked, err := federation.CheckPDU(ctx, a.cfg.Keyring, req.Event, v)
	if err != nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "Invite refused: %v", err)
	}
	ev := checked.Event
	switch {
	case checked.Redacted:
		return axhttp.Errorf(axhttp.CodeBadJSON, "Event content does not match its hash")
	case ev.ID != eventID || ev.RoomID != roomID:
		return axhttp.Errorf(axhttp.CodeBadJSON, "Event does not match the path")
	case ev.Type != event.TypeMember || ev.StateKey == nil || core.MembershipOf(ev) != event.MembershipInvite:
		return axhttp.Errorf(axhttp.CodeBadJSON, "Event is not an invite")
	case serverOf(*ev.StateKey) != a.cfg.ServerName:
		return axhttp.Errorf(axhttp.CodeBadJSON, "Invitee is not a user of this server")
	case serverOf(ev.Sender) != origin:
		return forbidden("Inviter is not a user of the requesting server")
	case !a.aclAllows(roomID, origin):
		return forbidden("Server is banned from this room by its server ACL")
	}
	if uid, err := ids.ParseUserIDLenient(*ev.StateKey); err != nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "Malformed invitee")
	} else if _, err := a.cfg.Store.Account(uid.Localpart()); errors.Is(err, persistence.ErrNotFound) {
		return notFound("No such user on this server")
	} else if err != nil {
		return err
	}
	if a.cfg.Keys == nil {
		return axhttp.Errorf(axhttp.CodeUnknown, "This server cannot sign events")
	}
	signed, err := event.SignEvent(ev.Raw, v, a.cfg.ServerName, a.cfg.Keys.Key())
	if err != nil {
		return err
	}
	if err := a.keepInvite(ctx, signed, v, req.InviteRoomState); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]json.RawMessage{"event": signed})
	return nil
}

// keepInvite records the signed invite for the invitee. In a room this
// server holds, the invite goes through the room actor like a PDU
// (failing that, it arrives again in the inviting server's transaction).
func (a *API) keepInvite(ctx *fasthttp.RequestCtx, signed []byte, v version.Spec, stripped []json.RawMessage) error {
	stored, err := withUnsigned(signed, "invite_room_state", stripped)
	if err != nil {
		return err
	}
	ev, err := event.Parse(stored, v)
	if err != nil {
		return err
	}
	err = a.cfg.Rooms.RecordMembership(ctx, ev, event.MembershipInvite)
	if errors.Is(err, room.ErrRoomHeld) {
		if _, serr := a.step(ctx, ev); serr != nil {
			a.cfg.Log.Info("stepping an invite of a held room", zap.String("event_id", ev.ID), zap.Error(serr))
		}
		return nil
	}
	return err
}

// withUnsigned returns raw with unsigned[key] set to value (outside the
// hashes and signatures, so the event stays valid).
func withUnsigned(raw []byte, key string, value any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	unsigned := map[string]any{}
	if u, ok := obj["unsigned"]; ok {
		if err := json.Unmarshal(u, &unsigned); err != nil {
			return nil, err
		}
	}
	if value == nil {
		value = []any{}
	}
	unsigned[key] = value
	u, err := json.Marshal(unsigned)
	if err != nil {
		return nil, err
	}
	obj["unsigned"] = u
	return json.Marshal(obj)
}
