package federation

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	core "github.com/axonhs/axon/rooms/room"
)

// Limits of the public room directory served to other servers.
const (
	defaultPublicRooms = 100
	maxPublicRooms     = 500
)

// publicRoomEntry is one room of the directory
// (definitions/public_rooms_chunk.yaml).
type publicRoomEntry struct {
	RoomID           string `json:"room_id"`
	Name             string `json:"name,omitempty"`
	Topic            string `json:"topic,omitempty"`
	CanonicalAlias   string `json:"canonical_alias,omitempty"`
	AvatarURL        string `json:"avatar_url,omitempty"`
	NumJoinedMembers int    `json:"num_joined_members"`
	WorldReadable    bool   `json:"world_readable"`
	GuestCanJoin     bool   `json:"guest_can_join"`
	JoinRule         string `json:"join_rule,omitempty"`
	RoomType         string `json:"room_type,omitempty"`
}

// publicRoomsGet answers GET /_matrix/federation/v1/publicRooms
// (public_rooms.yaml).
func (a *API) publicRoomsGet(ctx *fasthttp.RequestCtx, _ string) error {
	limit := defaultPublicRooms
	if s := axhttp.Query(ctx, "limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must be a non-negative integer")
		}
		limit = n
	}
	return a.publicRooms(ctx, limit, axhttp.Query(ctx, "since"), "")
}

// publicRoomsPost answers POST /_matrix/federation/v1/publicRooms with
// its filter.
func (a *API) publicRoomsPost(ctx *fasthttp.RequestCtx, _ string) error {
	var req struct {
		Limit  *int   `json:"limit"`
		Since  string `json:"since"`
		Filter struct {
			GenericSearchTerm string `json:"generic_search_term"`
		} `json:"filter"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	limit := defaultPublicRooms
	if req.Limit != nil {
		limit = max(*req.Limit, 0)
	}
	return a.publicRooms(ctx, limit, req.Since, req.Filter.GenericSearchTerm)
}

func (a *API) publicRooms(ctx *fasthttp.RequestCtx, limit int, since, term string) error {
	limit = min(limit, maxPublicRooms)
	offset := 0
	if since != "" {
		n, err := strconv.Atoi(since)
		if err != nil || n < 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid since token")
		}
		offset = n
	}
	ids, err := a.cfg.Store.PublishedRooms()
	if err != nil {
		return err
	}
	term = strings.ToLower(term)
	var rooms []publicRoomEntry
	for _, id := range ids {
		e, err := a.publicEntry(id)
		if err != nil {
			continue
		}
		if term != "" && !strings.Contains(strings.ToLower(e.Name+"\x00"+e.Topic+"\x00"+e.CanonicalAlias), term) {
			continue
		}
		rooms = append(rooms, e)
	}
	sort.SliceStable(rooms, func(i, j int) bool {
		if rooms[i].NumJoinedMembers != rooms[j].NumJoinedMembers {
			return rooms[i].NumJoinedMembers > rooms[j].NumJoinedMembers
		}
		return rooms[i].RoomID < rooms[j].RoomID
	})
	out := map[string]any{"total_room_count_estimate": len(rooms)}
	page := []publicRoomEntry{}
	if offset < len(rooms) {
		page = rooms[offset:min(len(rooms), offset+limit)]
	}
	out["chunk"] = page
	if offset+len(page) < len(rooms) {
		out["next_batch"] = strconv.Itoa(offset + len(page))
	}
	if offset > 0 {
		out["prev_batch"] = strconv.Itoa(max(0, offset-limit))
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, out)
	return nil
}

// publicEntry reads a room's directory entry from its current state.
func (a *API) publicEntry(roomID string) (publicRoomEntry, error) {
	e := publicRoomEntry{RoomID: roomID}
	cur, err := a.cfg.Store.CurrentState(roomID)
	if err != nil {
		return e, err
	}
	content := func(typ, field string) string {
		rec, err := a.cfg.Store.StateEvent(cur, typ, "")
		if err != nil || rec == nil {
			return ""
		}
		ev, err := rec.Event()
		if err != nil {
			return ""
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(ev.Content, &m) != nil {
			return ""
		}
		var s string
		_ = json.Unmarshal(m[field], &s)
		return s
	}
	e.Name = content("m.room.name", "name")
	e.Topic = content("m.room.topic", "topic")
	e.CanonicalAlias = content("m.room.canonical_alias", "alias")
	e.AvatarURL = content("m.room.avatar", "url")
	e.JoinRule = content("m.room.join_rules", "join_rule")
	e.RoomType = content("m.room.create", "type")
	e.WorldReadable = content("m.room.history_visibility", "history_visibility") == core.VisibilityWorldReadable
	e.GuestCanJoin = content("m.room.guest_access", "guest_access") == "can_join"
	members, err := a.cfg.Store.MembersOf(cur)
	if err != nil {
		return e, err
	}
	for _, rec := range members {
		if ev, err := rec.Event(); err == nil && core.MembershipOf(ev) == "join" {
			e.NumJoinedMembers++
		}
	}
	return e, nil
}
