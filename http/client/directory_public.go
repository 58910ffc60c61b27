package client

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/internal/publicroom"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// Limits of the public room directory.
const (
	defaultPublicRoomsLimit = 100
	maxPublicRoomsLimit     = 500
)

// publicRoom is one entry of the public room directory, read from the
// room's current state on each request.
type publicRoom = publicroom.Entry

// publicRoomsQuery is the request of GET and POST /publicRooms
// (list_public_rooms.yaml).
type publicRoomsQuery struct {
	Limit  *int   `json:"limit"`
	Since  string `json:"since"`
	Server string `json:"-"`
	Filter struct {
		GenericSearchTerm string `json:"generic_search_term"`
		// RoomTypes: nil when absent; a null item stands for rooms with
		// no type.
		RoomTypes []*string `json:"room_types"`
	} `json:"filter"`
}

// GET /publicRooms.
func (a *API) getPublicRooms(ctx *fasthttp.RequestCtx) error {
	var q publicRoomsQuery
	if s := axhttp.Query(ctx, "limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must be an integer")
		}
		q.Limit = &n
	}
	q.Since = axhttp.Query(ctx, "since")
	q.Server = axhttp.Query(ctx, "server")
	return a.publicRooms(ctx, q)
}

// POST /publicRooms.
func (a *API) postPublicRooms(ctx *fasthttp.RequestCtx, _ user.Session) error {
	var q publicRoomsQuery
	if err := axhttp.DecodeJSON(ctx, &q); err != nil {
		return err
	}
	q.Server = axhttp.Query(ctx, "server")
	return a.publicRooms(ctx, q)
}

// publicRooms answers both: the published rooms matching the filter,
// most joined members first, paged by offset tokens.
func (a *API) publicRooms(ctx *fasthttp.RequestCtx, q publicRoomsQuery) error {
	if q.Server != "" && q.Server != a.cfg.ServerName {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Only this server's directory can be listed")
	}
	limit := defaultPublicRoomsLimit
	if q.Limit != nil {
		if *q.Limit < 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must not be negative")
		}
		if *q.Limit > 0 {
			limit = min(*q.Limit, maxPublicRoomsLimit)
		}
	}
	offset, err := parseDirectoryToken(q.Since)
	if err != nil {
		return err
	}
	ids, err := a.cfg.Store.PublishedRooms()
	if err != nil {
		return err
	}
	var rooms []publicRoom
	for _, id := range ids {
		pr, err := publicroom.Read(a.cfg.Store, id)
		if errors.Is(err, publicroom.ErrNoSuchRoom) {
			continue
		}
		if err != nil {
			return err
		}
		if q.matches(pr) {
			rooms = append(rooms, pr)
		}
	}
	slices.SortFunc(rooms, func(x, y publicRoom) int {
		if x.NumJoinedMembers != y.NumJoinedMembers {
			return y.NumJoinedMembers - x.NumJoinedMembers
		}
		return strings.Compare(x.RoomID, y.RoomID)
	})
	resp := map[string]any{"total_room_count_estimate": len(rooms)}
	start := min(offset, len(rooms))
	end := min(start+limit, len(rooms))
	chunk := rooms[start:end]
	if chunk == nil {
		chunk = []publicRoom{}
	}
	resp["chunk"] = chunk
	if end < len(rooms) {
		resp["next_batch"] = directoryToken(end)
	}
	if start > 0 {
		resp["prev_batch"] = directoryToken(max(start-limit, 0))
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}

// directoryToken is a /publicRooms pagination token: an offset into the
// ordered directory.
func directoryToken(offset int) string { return "o" + strconv.Itoa(offset) }

func parseDirectoryToken(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(s, "o")
	n, err := parseCanonicalUint(rest)
	if !ok || err != nil || n > 1<<31 {
		return 0, axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed since token")
	}
	return int(n), nil
}

// matches applies generic_search_term (case-insensitive, over name, topic
// and canonical alias) and room_types.
func (q *publicRoomsQuery) matches(pr publicRoom) bool {
	if q.Filter.RoomTypes != nil {
		ok := false
		for _, t := range q.Filter.RoomTypes {
			if (t == nil && pr.RoomType == nil) || (t != nil && pr.RoomType != nil && *t == *pr.RoomType) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	term := strings.ToLower(strings.TrimSpace(q.Filter.GenericSearchTerm))
	if term == "" {
		return true
	}
	for _, s := range []string{pr.Name, pr.Topic, pr.CanonicalAlias} {
		if strings.Contains(strings.ToLower(s), term) {
			return true
		}
	}
	return false
}

// GET /directory/list/room/{roomId} (list_public_rooms.yaml).
func (a *API) getRoomListing(ctx *fasthttp.RequestCtx) error {
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Store.Room(roomID); errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Unknown room")
	} else if err != nil {
		return err
	}
	pub, err := a.cfg.Store.Published(roomID)
	if err != nil {
		return err
	}
	vis := "private"
	if pub {
		vis = "public"
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"visibility": vis})
	return nil
}

// PUT /directory/list/room/{roomId}: a joined member with the power to
// send m.room.canonical_alias (a moderator, as Synapse requires) publishes
// or withdraws the room.
func (a *API) putRoomListing(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return err
	}
	var body struct {
		Visibility string `json:"visibility"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if body.Visibility == "" {
		body.Visibility = "public"
	}
	if body.Visibility != "public" && body.Visibility != "private" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "visibility must be public or private")
	}
	r, err := a.roomSnapshot(roomID)
	if errors.Is(err, errNoSuchRoom) {
		return axhttp.Errorf(axhttp.CodeNotFound, "Unknown room")
	}
	if err != nil {
		return err
	}
	uid := a.userID(s.Localpart)
	if r.Membership(uid) != event.MembershipJoin || !mayChangeStateNow(r, uid, event.TypeCanonicalAlias) {
		return axhttp.Errorf(axhttp.CodeForbidden, "You need to be a moderator of the room to change its directory listing")
	}
	if err := a.cfg.Store.SetPublished(roomID, body.Visibility == "public"); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
