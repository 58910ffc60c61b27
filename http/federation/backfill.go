package federation

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// Bounds of the history walks served to other servers.
const (
	maxBackfill      = 100
	maxMissingEvents = 50
	defaultMissing   = 10
)

// walk visits the events before the start events, breadth first along
// prev_events, skipping the IDs in skip and (with minDepth) events below
// it, until limit events were collected. Events of other rooms and
// events this server lacks end their branch.
func (a *API) walk(roomID string, start []string, includeStart bool, skip map[string]bool, minDepth int64, limit int) ([]persistence.StoredEvent, error) {
	var out []persistence.StoredEvent
	seen := make(map[string]bool)
	queue := slices.Clone(start)
	first := make(map[string]bool, len(start))
	for _, id := range start {
		first[id] = true
	}
	for len(queue) > 0 && len(out) < limit {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || skip[id] {
			continue
		}
		seen[id] = true
		rec, err := a.cfg.Store.EventByID(id)
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.RoomID != roomID || rec.Depth < minDepth {
			continue
		}
		if includeStart || !first[id] {
			out = append(out, rec)
		}
		ev, err := rec.Event()
		if err != nil {
			return nil, err
		}
		queue = append(queue, ev.PrevEvents...)
	}
	return out, nil
}

// visibleRaw keeps the events origin may see, as PDUs.
func (a *API) visibleRaw(recs []persistence.StoredEvent, origin string) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(recs))
	for _, r := range recs {
		if a.serverCanSee(r, origin) {
			out = append(out, r.Raw)
		}
	}
	return out
}

// backfill answers GET /_matrix/federation/v1/backfill/{roomId}
// (backfill.yaml): the events given in v and those before them, up to
// limit.
func (a *API) backfill(ctx *fasthttp.RequestCtx, origin string) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	var from []string
	for _, v := range ctx.QueryArgs().PeekMulti("v") {
		from = append(from, string(v))
	}
	if len(from) == 0 {
		return axhttp.MissingParam("v")
	}
	limit, err := strconv.Atoi(axhttp.Query(ctx, "limit"))
	if err != nil || limit <= 0 {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must be a positive integer")
	}
	if _, err := a.roomHistoryAccess(roomID, origin); err != nil {
		return err
	}
	recs, err := a.walk(roomID, from, true, nil, 0, min(limit, maxBackfill))
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, pduTransaction{Origin: a.cfg.ServerName, OriginServerTS: a.now().UnixMilli(),
		PDUs: a.visibleRaw(recs, origin)})
	return nil
}

// getMissingEvents answers POST
// /_matrix/federation/v1/get_missing_events/{roomId} (backfill.yaml): a
// breadth-first walk of the prev_events of latest_events, skipping
// earliest_events, oldest first in the answer.
func (a *API) getMissingEvents(ctx *fasthttp.RequestCtx, origin string) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	var req struct {
		Limit          *int     `json:"limit"`
		MinDepth       int64    `json:"min_depth"`
		EarliestEvents []string `json:"earliest_events"`
		LatestEvents   []string `json:"latest_events"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.EarliestEvents == nil || req.LatestEvents == nil {
		return axhttp.Errorf(axhttp.CodeBadJSON, "earliest_events and latest_events are required")
	}
	limit := defaultMissing
	if req.Limit != nil {
		limit = min(max(*req.Limit, 0), maxMissingEvents)
	}
	if _, err := a.roomHistoryAccess(roomID, origin); err != nil {
		return err
	}
	skip := make(map[string]bool, len(req.EarliestEvents))
	for _, id := range req.EarliestEvents {
		skip[id] = true
	}
	recs, err := a.walk(roomID, req.LatestEvents, false, skip, req.MinDepth, limit)
	if err != nil {
		return err
	}
	slices.SortStableFunc(recs, func(x, y persistence.StoredEvent) int {
		switch {
		case x.Depth < y.Depth:
			return -1
		case x.Depth > y.Depth:
			return 1
		}
		return 0
	})
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"events": a.visibleRaw(recs, origin)})
	return nil
}
