package federation

import (
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/internal/publicroom"
)

// Limits of the public room directory served to other servers.
const (
	defaultPublicRooms = 100
	maxPublicRooms     = 500
)

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
	var rooms []publicroom.Entry
	for _, id := range ids {
		e, err := publicroom.Read(a.cfg.Store, id)
		if err != nil {
			continue
		}
		if e.RoomType != nil && *e.RoomType == "" {
			e.RoomType = nil // an empty room type is left out, as for no type
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
	page := []publicroom.Entry{}
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
