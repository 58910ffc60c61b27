package federation

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
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

// servedRaw is the history walk as PDUs for origin: an event origin may
// see as it is, one it may not (history visibility) redacted, so that the
// asking server can still connect the graph across it and check its
// signatures; its content hash then fails, which tells the receiver it
// was given a redacted copy (server-server-api "Validating hashes and
// signatures on received events"). Rejected and soft-failed events are
// left out.
func (a *API) servedRaw(recs []persistence.StoredEvent, origin string) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(recs))
	for _, r := range recs {
		if r.Outcome != persistence.OutcomeAccepted {
			continue
		}
		if a.serverCanSee(r, origin) {
			out = append(out, r.Raw)
			continue
		}
		v, err := version.Lookup(version.ID(r.RoomVersion))
		if err != nil {
			continue
		}
		if red, err := event.Redact(r.Raw, v); err == nil {
			out = append(out, red)
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
		PDUs: a.servedRaw(recs, origin)})
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
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"events": a.servedRaw(recs, origin)})
	return nil
}
