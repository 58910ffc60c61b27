package federation

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// makeJoin answers GET /_matrix/federation/v1/make_join/{roomId}/{userId}
// (joins-v2.yaml): a join template for a user of the requesting server.
func (a *API) makeJoin(ctx *fasthttp.RequestCtx, origin string) error {
	return a.makeMembership(ctx, origin, event.MembershipJoin, true)
}

// makeMembership builds the template of a join, leave or knock of
// {userId} in {roomId} (server-server-api "Joining Rooms", "Knocking upon
// a room", "Leaving Rooms"): the resident server picks prev_events, depth
// and auth_events from the room's current state; the requesting server
// signs the event and sends it back. negotiate applies the ver query
// parameters (make_join, make_knock).
func (a *API) makeMembership(ctx *fasthttp.RequestCtx, origin, membership string, negotiate bool) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	userID, err := axhttp.Param(ctx, "userId")
	if err != nil {
		return err
	}
	uid, err := ids.ParseUserIDLenient(userID)
	if err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed user ID: %v", err)
	}
	// joins-v2.yaml 403: "the user is not a user of the requesting server".
	if string(uid.Server()) != origin {
		return forbidden("User is not of the requesting server")
	}
	v, err := a.residentRoom(roomID, origin)
	if err != nil {
		return err
	}
	if negotiate && !offered(ctx, v) {
		return incompatible(v)
	}
	cur, err := a.currentAuthState(roomID)
	if err != nil {
		return err
	}
	if err := admissible(v, cur, userID, membership); err != nil {
		return err
	}
	content := map[string]any{"membership": membership}
	if membership == event.MembershipJoin {
		if via, ok := a.authoriser(v, cur, userID); ok {
			content["join_authorised_via_users_server"] = via
		}
	}
	tmpl, err := a.template(roomID, v, cur, userID, content)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"room_version": string(v.ID), "event": tmpl})
	return nil
}

// residentRoom checks that roomID is a room this server is joined to and
// that its server ACL lets origin in.
func (a *API) residentRoom(roomID, origin string) (version.Spec, error) {
	info, err := a.cfg.Store.Room(roomID)
	if errors.Is(err, persistence.ErrNotFound) {
		return version.Spec{}, notFound("Unknown room")
	}
	if err != nil {
		return version.Spec{}, err
	}
	v, err := version.Lookup(version.ID(info.Version))
	if err != nil {
		return version.Spec{}, err
	}
	if !a.aclAllows(roomID, origin) {
		return v, forbidden("Server is banned from this room by its server ACL")
	}
	return v, nil
}

// offered reports whether the ver query parameters name v; without any,
// the requester supports only version 1 (joins-v2.yaml "ver").
func offered(ctx *fasthttp.RequestCtx, v version.Spec) bool {
	vers := ctx.QueryArgs().PeekMulti("ver")
	if len(vers) == 0 {
		return v.ID == "1"
	}
	for _, x := range vers {
		if string(x) == string(v.ID) {
			return true
		}
	}
	return false
}

// incompatible is the 400 M_INCOMPATIBLE_ROOM_VERSION naming the room's
// version.
func incompatible(v version.Spec) error {
	e := axhttp.Errorf(axhttp.CodeIncompatibleRoomVer, "Your server does not support room version %s", v.ID)
	e.Extra = map[string]any{"room_version": string(v.ID)}
	return e
}

// currentAuthState reads the current state events of a room that the auth
// rules and the template need: everything but other users' member events
// is small; member events are read lazily by the caller through memberOf.
func (a *API) currentAuthState(roomID string) (auth.StateMap, error) {
	cur, err := a.cfg.Store.CurrentState(roomID)
	if err != nil {
		return nil, err
	}
	keys := make([]event.StateKey, 0, len(cur))
	nids := make([]uint64, 0, len(cur))
	for k, nid := range cur {
		keys = append(keys, k)
		nids = append(nids, nid)
	}
	recs, err := a.cfg.Store.EventsByNID(nids)
	if err != nil {
		return nil, err
	}
	out := make(auth.StateMap, len(recs))
	for i, r := range recs {
		ev, err := r.Event()
		if err != nil {
			return nil, err
		}
		out[keys[i]] = ev
	}
	return out, nil
}

// admissible refuses a template the auth rules would refuse anyway, with
// the reason the spec gives: a banned user may not join or knock, a knock
// needs a knock join rule (knocks.yaml 403).
func admissible(v version.Spec, cur auth.StateMap, userID, membership string) error {
	mine := membershipIn(cur, userID)
	if mine == event.MembershipBan && membership != event.MembershipLeave {
		return forbidden("User is banned from the room")
	}
	switch membership {
	case event.MembershipKnock:
		if !v.Knock {
			return incompatible(v)
		}
		rule := joinRule(cur)
		if rule != "knock" && rule != "knock_restricted" {
			return forbidden("The room does not accept knocks")
		}
		if mine == event.MembershipJoin || mine == event.MembershipInvite {
			return forbidden("User is already invited to or in the room")
		}
	case event.MembershipLeave:
		if mine == event.MembershipLeave {
			return forbidden("User is not in the room")
		}
	}
	return nil
}

func membershipIn(s auth.StateMap, userID string) string {
	ev := s[event.StateKey{Type: event.TypeMember, StateKey: userID}]
	if ev == nil {
		return event.MembershipLeave
	}
	var c struct {
		Membership string `json:"membership"`
	}
	if json.Unmarshal(ev.Content, &c) != nil || c.Membership == "" {
		return event.MembershipLeave
	}
	return c.Membership
}

func joinRule(s auth.StateMap) string {
	ev := s[event.StateKey{Type: event.TypeJoinRules}]
	if ev == nil {
		return "invite"
	}
	var c struct {
		JoinRule string `json:"join_rule"`
	}
	_ = json.Unmarshal(ev.Content, &c)
	return c.JoinRule
}

// authoriser picks the local user to name in
// join_authorised_via_users_server when the room's join rule is
// restricted, the user is neither invited nor joined, and the user is
// joined to a room of the allow list that this server knows
// (client-server-api "Restricted rooms"; v8 auth rules: the authorising
// user must be joined and able to invite).
func (a *API) authoriser(v version.Spec, cur auth.StateMap, userID string) (string, bool) {
	rule := joinRule(cur)
	if !v.Restricted || (rule != "restricted" && rule != "knock_restricted") {
		return "", false
	}
	switch membershipIn(cur, userID) {
	case event.MembershipJoin, event.MembershipInvite:
		return "", false
	}
	var c struct {
		Allow []struct {
			Type   string `json:"type"`
			RoomID string `json:"room_id"`
		} `json:"allow"`
	}
	_ = json.Unmarshal(cur[event.StateKey{Type: event.TypeJoinRules}].Content, &c)
	allowed := false
	for _, al := range c.Allow {
		if al.Type != "m.room_membership" || al.RoomID == "" {
			continue
		}
		ev, err := a.cfg.Store.CurrentStateEvent(al.RoomID, event.TypeMember, userID)
		if err != nil {
			continue
		}
		if e, err := ev.Event(); err == nil && membershipOfContent(e.Content) == event.MembershipJoin {
			allowed = true
			break
		}
	}
	if !allowed {
		return "", false
	}
	pl, err := auth.PowerLevels(v, cur)
	if err != nil {
		return "", false
	}
	best, bestLevel := "", int64(0)
	suffix := ":" + a.cfg.ServerName
	for k, ev := range cur {
		if k.Type != event.TypeMember || !hasSuffix(k.StateKey, suffix) || membershipOfContent(ev.Content) != event.MembershipJoin {
			continue
		}
		level, creator := auth.UserPowerLevel(v, cur, k.StateKey)
		if !creator && level < pl.Invite {
			continue
		}
		if creator {
			level = 1 << 62
		}
		if best == "" || level > bestLevel || (level == bestLevel && k.StateKey < best) {
			best, bestLevel = k.StateKey, level
		}
	}
	return best, best != ""
}

func membershipOfContent(c json.RawMessage) string {
	var m struct {
		Membership string `json:"membership"`
	}
	_ = json.Unmarshal(c, &m)
	return m.Membership
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// template is the unsigned membership event: prev_events are the room's
// forward extremities, depth one more than theirs, auth_events chosen by
// server-server-api "Auth events selection" from the current state.
func (a *API) template(roomID string, v version.Spec, cur auth.StateMap, userID string, content map[string]any) (map[string]any, error) {
	rawContent, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	needed, err := auth.EventsNeeded(v, event.TypeMember, &userID, userID, rawContent)
	if err != nil {
		return nil, axhttp.Errorf(axhttp.CodeBadJSON, "Cannot build the event: %v", err)
	}
	var authRecs []*event.Event
	for _, k := range needed {
		if ev := cur[k]; ev != nil {
			authRecs = append(authRecs, ev)
		}
	}
	extrem, err := a.cfg.Store.Extremities(roomID)
	if err != nil {
		return nil, err
	}
	prevRecs, err := a.cfg.Store.EventsByNID(extrem)
	if err != nil {
		return nil, err
	}
	var depth int64
	prev := make([]any, 0, len(prevRecs))
	for _, r := range prevRecs {
		depth = max(depth, r.Depth)
		ref, err := eventRef(r.EventID, r.Raw, v)
		if err != nil {
			return nil, err
		}
		prev = append(prev, ref)
	}
	authRefs := make([]any, 0, len(authRecs))
	slices.SortFunc(authRecs, func(x, y *event.Event) int { return compareStrings(x.ID, y.ID) })
	for _, ev := range authRecs {
		ref, err := eventRef(ev.ID, ev.Raw, v)
		if err != nil {
			return nil, err
		}
		authRefs = append(authRefs, ref)
	}
	tmpl := map[string]any{
		"room_id": roomID, "type": event.TypeMember, "state_key": userID, "sender": userID,
		"content": content, "prev_events": prev, "auth_events": authRefs,
		"depth": depth + 1, "origin_server_ts": a.now().UnixMilli(),
	}
	if v.Format == version.FormatV1 {
		tmpl["origin"] = serverOf(userID)
	}
	return tmpl, nil
}

// eventRef is how an event is cited in prev_events and auth_events: its
// ID, or in the v1 format an [ID, {"sha256": hash}] pair.
func eventRef(id string, raw []byte, v version.Spec) (any, error) {
	if v.Format != version.FormatV1 {
		return id, nil
	}
	h, err := event.ReferenceHash(raw, v)
	if err != nil {
		return nil, err
	}
	return []any{id, map[string]string{"sha256": signing.EncodeBase64(h[:])}}, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
