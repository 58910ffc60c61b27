package federation

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// membershipMaxBody bounds a send_join, send_leave or send_knock body: one
// event.
const membershipMaxBody = event.MaxSize + 1024

// sendJoinResponse is the 200 body of PUT /v2/send_join (joins-v2.yaml).
type sendJoinResponse struct {
	Origin         string            `json:"origin"`
	State          []json.RawMessage `json:"state"`
	AuthChain      []json.RawMessage `json:"auth_chain"`
	Event          json.RawMessage   `json:"event,omitempty"`
	MembersOmitted bool              `json:"members_omitted"`
	ServersInRoom  []string          `json:"servers_in_room,omitempty"`
}

// sendJoin answers PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}.
func (a *API) sendJoin(ctx *fasthttp.RequestCtx, origin string) error {
	ev, v, err := a.acceptMembership(ctx, origin, event.MembershipJoin)
	if err != nil {
		return err
	}
	omit := string(ctx.QueryArgs().Peek("omit_members")) == "true"
	resp, err := a.joinState(ev, v, omit)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}

// acceptMembership checks a signed membership event sent back by the
// server that asked for its template (server-server-api "Joining Rooms":
// the resident server "MUST verify" it like any PDU, that it is the
// membership asked for, of a user of the sending server, for the room in
// the path, with the ID in the path), countersigns a restricted join it
// authorises, and applies it through the room actor. The event must be
// accepted: one the auth rules reject or soft-fail is refused with 403.
func (a *API) acceptMembership(ctx *fasthttp.RequestCtx, origin, membership string) (*event.Event, version.Spec, error) {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return nil, version.Spec{}, err
	}
	eventID, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return nil, version.Spec{}, err
	}
	v, err := a.residentRoom(roomID, origin)
	if err != nil {
		return nil, v, err
	}
	raw := slices.Clone(ctx.PostBody())
	if membership == event.MembershipJoin {
		// A restricted join must carry this server's signature before the
		// signature checks: add it first (the sender's is checked as usual).
		if raw, err = a.countersign(raw, v); err != nil {
			return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event refused: %v", err)
		}
	}
	checked, err := federation.CheckPDU(ctx, a.cfg.Keyring, raw, v)
	if err != nil {
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event refused: %v", err)
	}
	ev := checked.Event
	switch {
	case checked.Redacted:
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event content does not match its hash")
	case ev.ID != eventID:
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event ID does not match the path")
	case ev.RoomID != roomID:
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event is for another room")
	case ev.Type != event.TypeMember || ev.StateKey == nil || *ev.StateKey != ev.Sender:
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event is not a membership event of its sender")
	case serverOf(ev.Sender) != origin:
		return nil, v, forbidden("User is not of the requesting server")
	case core.MembershipOf(ev) != membership:
		return nil, v, axhttp.Errorf(axhttp.CodeBadJSON, "Event membership is not %s", membership)
	}
	c, cancel := context.WithTimeout(ctx, stepTimeout)
	res, err := a.cfg.Rooms.StepForward(c, ev, origin)
	cancel()
	if err != nil {
		if text := a.stepText(ev, res, err); text != "" {
			return nil, v, axhttp.Errorf(axhttp.CodeUnknown, "%s", text)
		}
	}
	if !res.Known && res.Outcome != core.Accepted {
		return nil, v, forbidden("Event refused by the room's authorisation rules: " + errText(res.Reason))
	}
	return ev, v, nil
}

func errText(err error) string {
	if err == nil {
		return "soft-failed"
	}
	return err.Error()
}

// countersign adds this server's signature to a join naming one of its
// users in join_authorised_via_users_server (client-server-api
// "Restricted rooms"; v8 auth rules require the authorising server's
// signature). Other events come back unchanged.
func (a *API) countersign(raw []byte, v version.Spec) ([]byte, error) {
	var head struct {
		Content struct {
			Via string `json:"join_authorised_via_users_server"`
		} `json:"content"`
	}
	if json.Unmarshal(raw, &head) != nil || head.Content.Via == "" || serverOf(head.Content.Via) != a.cfg.ServerName || a.cfg.Keys == nil {
		return raw, nil
	}
	return event.SignEvent(raw, v, a.cfg.ServerName, a.cfg.Keys.Key())
}

// joinState is the send_join answer: the state before the join and the
// auth chain of it and of the join. With omit, m.room.member events are
// left out of the state except those of the room's heroes, and events in
// the state are left out of the auth chain (joins-v2.yaml "omit_members").
func (a *API) joinState(ev *event.Event, v version.Spec, omit bool) (*sendJoinResponse, error) {
	rec, err := a.cfg.Store.EventByID(ev.ID)
	if err != nil {
		return nil, err
	}
	before, err := a.cfg.Store.StateBefore(rec)
	if err != nil {
		return nil, err
	}
	stateIDs, err := a.idsOf(before)
	if err != nil {
		return nil, err
	}
	chain, err := stateres.AuthChain(v, append(slices.Clone(stateIDs), ev.AuthEvents...), storeEvents{a.cfg.Store})
	if err != nil {
		return nil, err
	}
	for _, id := range ev.AuthEvents {
		if !slices.Contains(chain, id) {
			chain = append(chain, id)
		}
	}
	resp := &sendJoinResponse{Origin: a.cfg.ServerName, Event: ev.Raw, State: []json.RawMessage{}, AuthChain: []json.RawMessage{}}
	inState := make(map[string]bool, len(stateIDs))
	var members []*event.Event
	for _, id := range stateIDs {
		r, err := a.cfg.Store.EventByID(id)
		if err != nil {
			return nil, err
		}
		e, err := r.Event()
		if err != nil {
			return nil, err
		}
		if e.Type == event.TypeMember {
			members = append(members, e)
			if omit {
				continue
			}
		}
		inState[id] = true
		resp.State = append(resp.State, r.Raw)
	}
	if omit {
		resp.MembersOmitted = true
		resp.ServersInRoom = serversJoined(members)
		for _, h := range heroes(before, members, ev.Sender) {
			inState[h.ID] = true
			resp.State = append(resp.State, h.Raw)
		}
	}
	for _, id := range chain {
		if omit && inState[id] {
			continue
		}
		r, err := a.cfg.Store.EventByID(id)
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		resp.AuthChain = append(resp.AuthChain, r.Raw)
	}
	return resp, nil
}

// serversJoined lists the servers with a joined member, sorted.
func serversJoined(members []*event.Event) []string {
	seen := map[string]bool{}
	for _, m := range members {
		if core.MembershipOf(m) == event.MembershipJoin && m.StateKey != nil {
			seen[serverOf(*m.StateKey)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// heroes are the member events a partial-state joiner still needs when the
// room has neither a name nor a canonical alias: the first five joined or
// invited members other than the joiner, by user ID (client-server-api
// "Calculating the display name for a room", m.heroes; joins-v2.yaml
// "omit_members").
func heroes(state persistence.StateMap, members []*event.Event, joiner string) []*event.Event {
	for _, typ := range []string{"m.room.name", "m.room.canonical_alias"} {
		if _, ok := state[event.StateKey{Type: typ}]; ok {
			return nil
		}
	}
	var out []*event.Event
	sorted := slices.Clone(members)
	slices.SortFunc(sorted, func(x, y *event.Event) int { return compareStrings(*x.StateKey, *y.StateKey) })
	for _, m := range sorted {
		if *m.StateKey == joiner {
			continue
		}
		switch core.MembershipOf(m) {
		case event.MembershipJoin, event.MembershipInvite:
			out = append(out, m)
		}
		if len(out) == 5 {
			break
		}
	}
	return out
}
