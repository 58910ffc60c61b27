package client

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
)

// clientV1Prefix carries the endpoints the spec introduced under /v1.
const clientV1Prefix = "/_matrix/client/v1"

// Limits of the read endpoints.
const (
	defaultPageLimit = 10
	maxPageLimit     = 1000
	// maxReadScan bounds how many stored events one request looks at, however
	// many the filters and history visibility drop; the client continues
	// from the token returned.
	maxReadScan = 2000
)

// mountRoomReads registers the room read endpoints, the directory,
// upgrades and reports under prefix (v3 or r0); the endpoints the spec
// has only under /v1 are registered with the v3 ones. Guests may use the
// reads the guest access module lists (module guest_access.md); history
// visibility then lets them read world_readable rooms and those they
// joined.
func (a *API) mountRoomReads(rt *axhttp.Router, prefix string) {
	plain := axhttp.Route{}
	get, post, put, del := fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut, fasthttp.MethodDelete
	r := prefix + "/rooms/{roomId}"
	rt.Handle(get, r+"/event/{eventId}", plain, a.guestsToo(a.getEvent))
	rt.Handle(get, r+"/state", plain, a.guestsToo(a.getState))
	rt.Handle(get, r+"/state/{typeAndKey:*}", plain, a.guestsToo(a.getStateEvent))
	rt.Handle(get, r+"/messages", plain, a.guestsToo(a.getMessages))
	rt.Handle(get, r+"/context/{eventId}", plain, a.guestsToo(a.getContext))
	rt.Handle(get, r+"/members", plain, a.guestsToo(a.getMembers))
	rt.Handle(get, r+"/joined_members", plain, a.authed(a.getJoinedMembers))
	rt.Handle(get, prefix+"/joined_rooms", plain, a.authed(a.getJoinedRooms))
	rt.Handle(get, r+"/aliases", plain, a.authed(a.getRoomAliases))
	rt.Handle(put, prefix+"/directory/room/{roomAlias}", plain, a.authed(a.putAlias))
	rt.Handle(get, prefix+"/directory/room/{roomAlias}", plain, a.getAlias)
	rt.Handle(del, prefix+"/directory/room/{roomAlias}", plain, a.authed(a.deleteAlias))
	rt.Handle(get, prefix+"/publicRooms", plain, a.getPublicRooms)
	rt.Handle(post, prefix+"/publicRooms", plain, a.authed(a.postPublicRooms))
	rt.Handle(get, prefix+"/directory/list/room/{roomId}", plain, a.getRoomListing)
	rt.Handle(put, prefix+"/directory/list/room/{roomId}", plain, a.authed(a.putRoomListing))
	rt.Handle(post, r+"/upgrade", plain, a.authed(a.upgradeRoom))
	rt.Handle(post, r+"/report/{eventId}", plain, a.authed(a.reportEvent))
	rt.Handle(post, r+"/report", plain, a.authed(a.reportRoom))
	if prefix != "/_matrix/client/v3" {
		return
	}
	for _, p := range []string{clientV1Prefix, prefix} {
		r := p + "/rooms/{roomId}"
		rt.Handle(get, r+"/relations/{eventId}", plain, a.authed(a.getRelations))
		rt.Handle(get, r+"/relations/{eventId}/{relType}", plain, a.authed(a.getRelations))
		rt.Handle(get, r+"/relations/{eventId}/{relType}/{eventType}", plain, a.authed(a.getRelations))
		rt.Handle(get, r+"/threads", plain, a.authed(a.getThreads))
		rt.Handle(get, r+"/timestamp_to_event", plain, a.authed(a.timestampToEvent))
	}
	rt.Handle(get, "/_synapse/admin/v1/event_reports", plain, a.authed(a.adminEventReports))
}

// readError maps the read path's errors to Matrix errors.
func readError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errRoomHidden):
		return axhttp.Errorf(axhttp.CodeForbidden, "You are not allowed to read this room")
	case errors.Is(err, errBadToken):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed pagination token")
	case errors.Is(err, errBadFilter):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed filter")
	}
	return err
}

// pathRoomOf reads and validates the roomId path parameter.
func pathRoomOf(ctx *fasthttp.RequestCtx) (string, error) {
	s, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return "", err
	}
	if _, err := ids.ParseRoomID(s); err != nil {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed room ID")
	}
	return s, nil
}

// pathEventOf reads the eventId path parameter. Without the "$" sigil or
// longer than an identifier may be (appendices.md "Event IDs") it is
// M_INVALID_PARAM; any other string is looked up, and one the store does
// not hold is M_NOT_FOUND, whichever room version's form it has.
func pathEventOf(ctx *fasthttp.RequestCtx) (string, error) {
	s, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(s, "$") || len(s) > ids.MaxLength || !utf8.ValidString(s) {
		return "", axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed event ID")
	}
	return s, nil
}

// openFor opens the requesting user's view of the room in the path.
func (a *API) openFor(ctx *fasthttp.RequestCtx, s user.Session) (*roomView, error) {
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return nil, err
	}
	v, err := a.openRoomView(roomID, a.userID(s.Localpart))
	if err != nil {
		return nil, readError(err)
	}
	return v.servedTo(s.DeviceID), nil
}

// pageLimitParam reads a limit query parameter: def when absent, capped at
// maxPageLimit, M_INVALID_PARAM when not a non-negative integer.
func pageLimitParam(ctx *fasthttp.RequestCtx, def int) (int, error) {
	s := axhttp.Query(ctx, "limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, axhttp.Errorf(axhttp.CodeInvalidParam, "limit must be a non-negative integer")
	}
	return int(min(n, maxPageLimit)), nil
}

// tokenToTopo turns a token into a storage position.
func tokenToTopo(t roomToken) (persistence.Topo, error) {
	if t.Topo > math.MaxInt64 {
		return persistence.Topo{}, errBadToken
	}
	return persistence.Topo{Depth: int64(t.Topo), Stream: t.Stream}, nil
}

func topoToken(t persistence.Topo) string {
	return roomToken{Topo: uint64(max(t.Depth, 0)), Stream: t.Stream}.String()
}

func (a *API) readNow() int64 { return a.cfg.Now().UnixMilli() }

// visibleEvent loads eventID of the view's room if the user may see it;
// M_NOT_FOUND otherwise, for a missing event and a hidden one alike
// (rooms.yaml: "The event was not found or you do not have permission to
// read this event").
func (v *roomView) visibleEvent(eventID string) (persistence.StoredEvent, error) {
	se, err := v.store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) {
		return se, axhttp.Errorf(axhttp.CodeNotFound, "Event not found")
	}
	if err != nil {
		return se, err
	}
	ok, err := v.canSee(se)
	if err != nil {
		return se, err
	}
	if !ok {
		return se, axhttp.Errorf(axhttp.CodeNotFound, "Event not found")
	}
	return se, nil
}

// GET /rooms/{roomId}/event/{eventId} (rooms.yaml).
func (a *API) getEvent(ctx *fasthttp.RequestCtx, s user.Session) error {
	eventID, err := pathEventOf(ctx)
	if err != nil {
		return err
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	se, err := v.visibleEvent(eventID)
	if err != nil {
		return err
	}
	ce, err := v.serveEvent(se, a.readNow())
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, ce)
	return nil
}

// GET /rooms/{roomId}/state (room_state.yaml): the state the user may read.
func (a *API) getState(ctx *fasthttp.RequestCtx, s user.Session) error {
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	st, err := v.stateForUser()
	if err != nil {
		return readError(err)
	}
	events, err := v.stateEvents(st, "")
	if err != nil {
		return err
	}
	out, err := v.serveEvents(events, a.readNow())
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, out)
	return nil
}

// GET /rooms/{roomId}/state/{eventType}/{stateKey} (rooms.yaml): the
// content, or with format=event the whole event.
func (a *API) getStateEvent(ctx *fasthttp.RequestCtx, s user.Session) error {
	typ, stateKey, err := typeAndStateKey(ctx)
	if err != nil {
		return err
	}
	format := axhttp.Query(ctx, "format")
	if format != "" && format != "content" && format != "event" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "format must be content or event")
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	st, err := v.stateForUser()
	if err != nil {
		return readError(err)
	}
	nid, ok := st[event.StateKey{Type: typ, StateKey: stateKey}]
	if !ok {
		return axhttp.Errorf(axhttp.CodeNotFound, "No %s state event with state key %q", typ, stateKey)
	}
	se, err := v.store.EventByNID(nid)
	if err != nil {
		return err
	}
	if format == "event" {
		ce, err := v.serveEvent(se, a.readNow())
		if err != nil {
			return err
		}
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, ce)
		return nil
	}
	h, err := decodeEventHeader(se.Raw)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, h.Content)
	return nil
}

// stateEvents loads the events of a state map, of one type when typ is
// set, in a stable order (type, then state key).
func (v *roomView) stateEvents(st persistence.StateMap, typ string) ([]persistence.StoredEvent, error) {
	keys := make([]event.StateKey, 0, len(st))
	for k := range st {
		if typ == "" || k.Type == typ {
			keys = append(keys, k)
		}
	}
	sortStateKeys(keys)
	out := make([]persistence.StoredEvent, 0, len(keys))
	for _, k := range keys {
		se, err := v.store.EventByNID(st[k])
		if err != nil {
			return nil, err
		}
		out = append(out, se)
	}
	return out, nil
}

// GET /joined_rooms (list_joined_rooms.yaml).
func (a *API) getJoinedRooms(ctx *fasthttp.RequestCtx, s user.Session) error {
	rooms, err := a.cfg.Store.UserRooms(a.userID(s.Localpart), event.MembershipJoin)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(rooms))
	for _, r := range rooms {
		ids = append(ids, r.RoomID)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"joined_rooms": ids})
	return nil
}
