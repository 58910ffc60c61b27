package client

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

var membershipValues = []string{event.MembershipJoin, event.MembershipInvite, event.MembershipKnock, event.MembershipLeave, event.MembershipBan}

// GET /rooms/{roomId}/members (rooms.yaml): the member events of the state
// the user may read, or of the state at the "at" token, filtered by
// membership and not_membership.
func (a *API) getMembers(ctx *fasthttp.RequestCtx, s user.Session) error {
	want, not := axhttp.Query(ctx, "membership"), axhttp.Query(ctx, "not_membership")
	for _, m := range []string{want, not} {
		if m != "" && !slices.Contains(membershipValues, m) {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown membership %q", m)
		}
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	st, err := v.stateForUser()
	if err != nil {
		return readError(err)
	}
	if at := axhttp.Query(ctx, "at"); at != "" {
		if st, err = v.stateAtToken(at); err != nil {
			return readError(err)
		}
	}
	events, err := v.stateEvents(st, event.TypeMember)
	if err != nil {
		return err
	}
	kept := events[:0]
	for _, se := range events {
		m := storedMembership(se)
		if (want == "" || m == want) && (not == "" || m != not) {
			kept = append(kept, se)
		}
	}
	out, err := v.serveEvents(kept, a.readNow())
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"chunk": out})
	return nil
}

// stateAtToken is the state after the last event before the token, if the
// user may see that event; a position the user may not see falls back to
// the state they may read.
func (v *roomView) stateAtToken(at string) (persistence.StateMap, error) {
	tok, err := parsePageFrom(at)
	if err != nil {
		return nil, err
	}
	pos, err := v.topoOf(tok)
	if err != nil {
		return nil, err
	}
	evs, _, err := v.store.RoomEvents(v.roomID, pos, true, 1)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return persistence.StateMap{}, nil
	}
	ok, err := v.canSee(evs[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		return v.stateForUser()
	}
	return v.store.StateAfter(evs[0])
}

// GET /rooms/{roomId}/joined_members (rooms.yaml): joined users with their
// display name and avatar, for members only (and world_readable rooms).
func (a *API) getJoinedMembers(ctx *fasthttp.RequestCtx, s user.Session) error {
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	st, err := v.stateForUser()
	if err != nil {
		return readError(err)
	}
	events, err := v.stateEvents(st, event.TypeMember)
	if err != nil {
		return err
	}
	type profile struct {
		DisplayName *string `json:"display_name,omitempty"`
		AvatarURL   *string `json:"avatar_url,omitempty"`
	}
	joined := map[string]profile{}
	for _, se := range events {
		h, err := decodeEventHeader(se.Raw)
		if err != nil {
			return err
		}
		var c struct {
			Membership  string  `json:"membership"`
			DisplayName *string `json:"displayname"`
			AvatarURL   *string `json:"avatar_url"`
		}
		if json.Unmarshal(h.Content, &c) != nil || c.Membership != event.MembershipJoin || h.StateKey == nil {
			continue
		}
		joined[*h.StateKey] = profile{DisplayName: c.DisplayName, AvatarURL: c.AvatarURL}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"joined": joined})
	return nil
}

func sortStateKeys(keys []event.StateKey) {
	slices.SortFunc(keys, func(a, b event.StateKey) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.StateKey, b.StateKey)
	})
}
