package client

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// POST /rooms/{roomId}/upgrade (room_upgrades.yaml; module room_upgrades.md
// "Server behaviour"): rooms/room.UpgradePlan checks the upgrader may send
// m.room.tombstone and plans the new room; here the new room is created
// through the room actors, the old room gets its tombstone (and, when the
// upgrader may, its canonical alias cleared and its power levels
// restricted), and the local aliases and the directory listing move to
// the new room.
func (a *API) upgradeRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	if a.cfg.Rooms == nil {
		return axhttp.Errorf(axhttp.CodeUnrecognized, "Room upgrades are not available")
	}
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return err
	}
	var body struct {
		NewVersion         string   `json:"new_version"`
		AdditionalCreators []string `json:"additional_creators"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if body.NewVersion == "" {
		return axhttp.MissingParam("new_version")
	}
	spec, err := version.Lookup(version.ID(body.NewVersion))
	if err != nil {
		return axhttp.Errorf(axhttp.CodeUnsupportedRoomVer, "Room version %q is not supported", body.NewVersion)
	}
	for _, c := range body.AdditionalCreators {
		if _, err := ids.ParseUserID(c); err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed user ID in additional_creators")
		}
	}
	old, err := a.roomSnapshot(roomID)
	if errors.Is(err, errNoSuchRoom) {
		return axhttp.Errorf(axhttp.CodeForbidden, "You are not in this room")
	}
	if err != nil {
		return err
	}
	sender := a.userID(s.Localpart)
	plan, err := core.UpgradePlan(old, spec, sender, body.AdditionalCreators)
	if err != nil {
		return roomWriteError(err)
	}
	newID, err := a.cfg.Rooms.Create(plan.Create)
	if err != nil {
		return roomWriteError(err)
	}
	c, cancel := a.ctx()
	defer cancel()
	if _, err := a.cfg.Rooms.Propose(c, roomID, plan.Tombstone(newID), nil); err != nil {
		return roomWriteError(err)
	}
	for _, p := range []*core.Proposal{plan.ClearOldAlias, plan.RestrictOld} {
		if p == nil {
			continue
		}
		if _, err := a.cfg.Rooms.Propose(c, roomID, *p, nil); err != nil {
			// The new room exists and the old one is tombstoned: the
			// upgrade stands; clients follow the tombstone.
			a.log.Warn("room upgrade: follow-up event in the old room refused")
		}
	}
	if _, err := a.cfg.Store.MoveAliases(roomID, newID); err != nil {
		return err
	}
	if pub, err := a.cfg.Store.Published(roomID); err != nil {
		return err
	} else if pub {
		if err := a.cfg.Store.SetPublished(newID, true); err != nil {
			return err
		}
		if err := a.cfg.Store.SetPublished(roomID, false); err != nil {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"replacement_room": newID})
	return nil
}

// dropCanonicalAlias takes a deleted alias out of its room's
// m.room.canonical_alias (alias and alt_aliases), as Synapse does, when the
// deleting user may change that state; otherwise the event stays as it is
// and clients see an alias that no longer resolves.
func (a *API) dropCanonicalAlias(roomID, userID, alias string) error {
	if a.cfg.Rooms == nil {
		return nil
	}
	r, err := a.roomSnapshot(roomID)
	if err != nil {
		return err
	}
	ev := r.State(event.StateKey{Type: event.TypeCanonicalAlias})
	if ev == nil || !mayChangeStateNow(r, userID, event.TypeCanonicalAlias) || r.Membership(userID) != event.MembershipJoin {
		return nil
	}
	content, changed, err := withoutAlias(ev.Content, alias)
	if err != nil || !changed {
		return err
	}
	c, cancel := a.ctx()
	defer cancel()
	_, err = a.cfg.Rooms.Propose(c, roomID, core.Proposal{
		Type: event.TypeCanonicalAlias, StateKey: core.StateKeyOf(""), Sender: userID, Content: content,
	}, nil)
	return err
}
