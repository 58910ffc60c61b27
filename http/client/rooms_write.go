package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
)

// mountRoomWrites registers the endpoints that change rooms under prefix
// (v3 or r0): creation, membership, sending, state and redaction. Each
// becomes a proposal to the room's actor (actors/room), answered once the
// event is durably stored.
func (a *API) mountRoomWrites(rt *axhttp.Router, prefix string) {
	if a.cfg.Rooms == nil {
		return
	}
	// Event bodies beyond an event's size limit can never fit in an event.
	ev := axhttp.Route{MaxBody: event.MaxSize}
	post, put := fasthttp.MethodPost, fasthttp.MethodPut
	r := prefix + "/rooms/{roomId}"
	rt.Handle(post, prefix+"/createRoom", ev, a.authed(a.createRoom))
	rt.Handle(post, prefix+"/join/{roomIdOrAlias}", ev, a.authed(a.joinByIDOrAlias))
	rt.Handle(post, prefix+"/knock/{roomIdOrAlias}", ev, a.authed(a.knock))
	rt.Handle(post, r+"/join", ev, a.authed(a.joinRoom))
	rt.Handle(post, r+"/leave", ev, a.authed(a.leaveRoom))
	rt.Handle(post, r+"/forget", ev, a.authed(a.forgetRoom))
	rt.Handle(post, r+"/invite", ev, a.authed(a.memberAction("invite")))
	rt.Handle(post, r+"/kick", ev, a.authed(a.memberAction("kick")))
	rt.Handle(post, r+"/ban", ev, a.authed(a.memberAction("ban")))
	rt.Handle(post, r+"/unban", ev, a.authed(a.memberAction("unban")))
	rt.Handle(put, r+"/send/{eventType}/{txnId}", ev, a.authed(a.sendMessage))
	// One catch-all, split in putState: the router cannot match an empty
	// state key after a trailing slash, which is how clients send it.
	rt.Handle(put, r+"/state/{typeAndKey:*}", ev, a.authed(a.putState))
	rt.Handle(put, r+"/redact/{eventId}/{txnId}", ev, a.authed(a.redactEvent))
}

// pathRoomID is the {roomId} path parameter, checked against the room ID
// grammar (appendices "Room IDs").
func pathRoomID(ctx *fasthttp.RequestCtx) (string, error) {
	s, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return "", err
	}
	if _, err := ids.ParseRoomID(s); err != nil {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room ID: %v", err)
	}
	return s, nil
}

// contentBody is the request body as event content: a JSON object.
func contentBody(ctx *fasthttp.RequestCtx) (json.RawMessage, error) {
	body := bytes.TrimSpace(ctx.PostBody())
	if len(body) == 0 {
		return nil, axhttp.Errorf(axhttp.CodeNotJSON, "Event content must be a JSON object")
	}
	if !json.Valid(body) {
		return nil, axhttp.Errorf(axhttp.CodeNotJSON, "")
	}
	if body[0] != '{' {
		return nil, axhttp.Errorf(axhttp.CodeBadJSON, "Event content must be a JSON object")
	}
	return bytes.Clone(body), nil
}

// txnFor scopes a transaction ID to its endpoint (kind and the path before
// the txnId) and fingerprints the request (client-server-api "Transaction
// identifiers": the same device retrying the same path gets the same
// answer).
func (a *API) txnFor(s user.Session, kind, roomID, target, txnID string, body []byte) *room.Txn {
	h := sha256.Sum256(body)
	return &room.Txn{
		UserID:   a.userID(s.Localpart),
		DeviceID: s.DeviceID,
		ID:       kind + "\x00" + roomID + "\x00" + target + "\x00" + txnID,
		Request:  hex.EncodeToString(h[:]),
		// Served back to this device as unsigned.transaction_id.
		ClientTxnID: txnID,
	}
}

// propose sends p to the room and writes {"event_id": ...}. The room
// actor deduplicates txn: a retry gets the first event's ID (looking the
// transaction up here as well cost a Pebble miss on every send, for the
// rare retry).
func (a *API) propose(ctx *fasthttp.RequestCtx, roomID string, p core.Proposal, txn *room.Txn) error {
	c, cancel := a.ctx()
	defer cancel()
	id, err := a.cfg.Rooms.Propose(c, roomID, p, txn)
	if err != nil {
		return roomWriteError(err)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"event_id": id})
	return nil
}

// sendMessage is PUT /rooms/{roomId}/send/{eventType}/{txnId}
// (room_send.yaml).
func (a *API) sendMessage(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	typ, err := axhttp.Param(ctx, "eventType")
	if err != nil {
		return err
	}
	txnID, err := axhttp.Param(ctx, "txnId")
	if err != nil {
		return err
	}
	content, err := contentBody(ctx)
	if err != nil {
		return err
	}
	a.presenceActive(a.userID(s.Localpart))
	if typ == event.TypeRedaction {
		// A redaction sent this way still redacts, so it goes through the
		// same target checks as PUT /redact.
		var c struct {
			Redacts string `json:"redacts"`
		}
		_ = json.Unmarshal(content, &c)
		if c.Redacts == "" {
			return axhttp.Errorf(axhttp.CodeBadJSON, "m.room.redaction needs content.redacts")
		}
		p := core.Proposal{Type: typ, Sender: a.userID(s.Localpart), Content: content, Redacts: c.Redacts}
		return a.propose(ctx, roomID, p, a.txnFor(s, "send", roomID, typ, txnID, content))
	}
	p := core.Proposal{Type: typ, Sender: a.userID(s.Localpart), Content: content}
	return a.propose(ctx, roomID, p, a.txnFor(s, "send", roomID, typ, txnID, content))
}

// putState is PUT /rooms/{roomId}/state/{eventType}/{stateKey}
// (room_state.yaml); the state key may be empty, with or without the
// trailing slash.
func (a *API) putState(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	typ, stateKey, err := typeAndStateKey(ctx)
	if err != nil {
		return err
	}
	content, err := contentBody(ctx)
	if err != nil {
		return err
	}
	p := core.Proposal{Type: typ, StateKey: core.StateKeyOf(stateKey), Sender: a.userID(s.Localpart), Content: content}
	return a.propose(ctx, roomID, p, nil)
}

// redactEvent is PUT /rooms/{roomId}/redact/{eventId}/{txnId}
// (redaction.yaml).
func (a *API) redactEvent(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomID(ctx)
	if err != nil {
		return err
	}
	eventID, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return err
	}
	if _, err := ids.ParseEventID(eventID); err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed event ID: %v", err)
	}
	txnID, err := axhttp.Param(ctx, "txnId")
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	target, err := a.cfg.Store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && target.RoomID != roomID) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Event not found in this room")
	}
	if err != nil {
		return err
	}
	p := core.Redact(a.userID(s.Localpart), eventID, body.Reason)
	return a.propose(ctx, roomID, p, a.txnFor(s, "redact", roomID, eventID, txnID, ctx.PostBody()))
}

// typeAndStateKey splits the raw "{eventType}/{stateKey}" path tail at its
// first slash (an escaped %2F stays inside its part) and unescapes both; a
// missing or empty state key is "".
func typeAndStateKey(ctx *fasthttp.RequestCtx) (typ, stateKey string, err error) {
	raw, _ := ctx.UserValue("typeAndKey").(string)
	rawType, rawKey, _ := strings.Cut(raw, "/")
	if typ, err = url.PathUnescape(rawType); err != nil {
		return "", "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed path parameter eventType")
	}
	if stateKey, err = url.PathUnescape(rawKey); err != nil {
		return "", "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed path parameter stateKey")
	}
	if typ == "" {
		return "", "", axhttp.Errorf(axhttp.CodeInvalidParam, "Missing event type")
	}
	return strings.Clone(typ), strings.Clone(stateKey), nil
}
