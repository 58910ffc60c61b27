package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/ids"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// createRoomBody is the request of POST /createRoom (create_room.yaml).
type createRoomBody struct {
	Visibility      string          `json:"visibility"`
	RoomAliasName   string          `json:"room_alias_name"`
	Name            *string         `json:"name"`
	Topic           *string         `json:"topic"`
	Invite          []string        `json:"invite"`
	RoomVersion     string          `json:"room_version"`
	CreationContent json.RawMessage `json:"creation_content"`
	InitialState    []struct {
		Type     string          `json:"type"`
		StateKey string          `json:"state_key"`
		Content  json.RawMessage `json:"content"`
	} `json:"initial_state"`
	Preset                    string          `json:"preset"`
	IsDirect                  bool            `json:"is_direct"`
	PowerLevelContentOverride json.RawMessage `json:"power_level_content_override"`
}

// createRoom is POST /createRoom: the room and its initial events are
// stored in one batch; the alias (room_alias_name) and the directory entry
// (visibility public) are written after it.
func (a *API) createRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	var body createRoomBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	p, err := a.createParams(s, &body)
	if err != nil {
		return err
	}
	if p.Alias != "" {
		if _, err := a.cfg.Store.ResolveAlias(p.Alias); err == nil {
			return axhttp.Errorf(axhttp.CodeRoomInUse, "Room alias %s already taken", p.Alias)
		} else if !errors.Is(err, persistence.ErrNotFound) {
			return err
		}
	}
	roomID, err := a.cfg.Rooms.Create(p)
	if err != nil {
		return roomWriteError(err)
	}
	if p.Alias != "" {
		err := a.cfg.Store.PutAlias(persistence.Alias{Alias: p.Alias, RoomID: roomID, Creator: p.Creator, CreatedMS: a.cfg.Now().UnixMilli()})
		if errors.Is(err, persistence.ErrAliasInUse) {
			// Taken between the check and now by a concurrent request; the
			// room exists, its canonical alias names an alias it lost.
			return axhttp.Errorf(axhttp.CodeRoomInUse, "Room alias %s already taken", p.Alias)
		}
		if err != nil {
			return fmt.Errorf("storing alias of %s: %w", roomID, err)
		}
	}
	if body.Visibility == "public" {
		if err := a.cfg.Store.SetPublished(roomID, true); err != nil {
			return fmt.Errorf("publishing %s: %w", roomID, err)
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"room_id": roomID})
	return nil
}

// createParams checks the request and turns it into the core's
// CreateParams.
func (a *API) createParams(s user.Session, body *createRoomBody) (core.CreateParams, error) {
	id := version.ID(body.RoomVersion)
	if id == "" {
		id = a.defaultRoomVersion()
	}
	v, err := version.Lookup(id)
	if err != nil {
		return core.CreateParams{}, axhttp.Errorf(axhttp.CodeUnsupportedRoomVer, "Room version %q is not supported", id)
	}
	switch body.Visibility {
	case "", "public", "private":
	default:
		return core.CreateParams{}, axhttp.Errorf(axhttp.CodeInvalidParam, "visibility must be public or private")
	}
	p := core.CreateParams{
		Creator: a.userID(s.Localpart), Version: v, Preset: body.Preset, Visibility: body.Visibility,
		CreationContent: nullIsEmpty(body.CreationContent), PowerLevelOverride: nullIsEmpty(body.PowerLevelContentOverride),
		Name: body.Name, Topic: body.Topic, IsDirect: body.IsDirect,
	}
	creator, err := a.withProfile(s.Localpart, core.MemberOptions{})
	if err != nil {
		return core.CreateParams{}, err
	}
	p.DisplayName, p.AvatarURL = creator.DisplayName, creator.AvatarURL
	if body.RoomAliasName != "" {
		alias, err := ids.ParseRoomAlias("#" + body.RoomAliasName + ":" + a.cfg.ServerName)
		if err != nil {
			return core.CreateParams{}, axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid room_alias_name: %v", err)
		}
		p.Alias = string(alias)
	}
	for _, u := range body.Invite {
		uid, err := ids.ParseUserIDLenient(u)
		if err != nil {
			return core.CreateParams{}, axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID %q in invite: %v", u, err)
		}
		if uid.Server() != ids.ServerName(a.cfg.ServerName) {
			return core.CreateParams{}, axhttp.Errorf(axhttp.CodeForbidden, "Inviting %s needs federation, which is not supported yet", u)
		}
		p.Invite = append(p.Invite, string(uid))
	}
	for _, st := range body.InitialState {
		p.InitialState = append(p.InitialState, core.StateEvent{Type: st.Type, StateKey: st.StateKey, Content: nullIsEmpty(st.Content)})
	}
	return p, nil
}

// nullIsEmpty treats an absent or null JSON value as absent.
func nullIsEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}

// defaultRoomVersion is the version of rooms created without room_version,
// also announced by /capabilities: the configured one, else
// rooms/version.Default.
func (a *API) defaultRoomVersion() version.ID {
	if a.cfg.DefaultRoomVersion != "" {
		return a.cfg.DefaultRoomVersion
	}
	return version.Default
}
