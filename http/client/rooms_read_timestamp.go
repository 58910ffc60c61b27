package client

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// GET /v1/rooms/{roomId}/timestamp_to_event (room_event_by_timestamp.yaml):
// the visible event closest to ts in direction dir (f: the first at or
// after ts; b: the last at or before it). It binary-searches the depths,
// assuming origin_server_ts grows with depth as it does for the events a
// server builds (Synapse assumes the same of its stream ordering), then
// scans from the boundary to take the exact event.
func (a *API) timestampToEvent(ctx *fasthttp.RequestCtx, s user.Session) error {
	tsStr := axhttp.Query(ctx, "ts")
	if tsStr == "" {
		return axhttp.MissingParam("ts")
	}
	ts, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "ts must be an integer")
	}
	dir := axhttp.Query(ctx, "dir")
	if dir == "" {
		return axhttp.MissingParam("dir")
	}
	if dir != "b" && dir != "f" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "dir must be b or f")
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	end, err := v.store.RoomEnd(v.roomID)
	if err != nil {
		return err
	}
	// Smallest depth whose first event is later than ts (for b) or at or
	// after ts (for f).
	past := func(e persistence.StoredEvent) bool {
		h, _ := decodeEventHeader(e.Raw)
		if dir == "b" {
			return h.OriginServerTS > ts
		}
		return h.OriginServerTS >= ts
	}
	lo, hi := int64(0), end.Depth+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		evs, _, err := v.store.RoomEvents(v.roomID, persistence.Topo{Depth: mid}, false, 1)
		if err != nil {
			return err
		}
		if len(evs) == 0 || past(evs[0]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	var found *persistence.StoredEvent
	if dir == "f" {
		found, err = v.scanForTimestamp(persistence.Topo{Depth: max(lo-1, 0)}, false, func(t int64) bool { return t >= ts })
	} else {
		found, err = v.scanForTimestamp(persistence.Topo{Depth: lo + 1}, true, func(t int64) bool { return t <= ts })
	}
	if err != nil {
		return err
	}
	if found == nil {
		return axhttp.Errorf(axhttp.CodeNotFound, "No event found %s %d", map[string]string{"f": "after", "b": "before"}[dir], ts)
	}
	h, err := decodeEventHeader(found.Raw)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"event_id": found.EventID, "origin_server_ts": h.OriginServerTS})
	return nil
}

// scanForTimestamp walks from pos and returns the first visible event whose
// timestamp satisfies ok, looking at most maxReadScan events.
func (v *roomView) scanForTimestamp(pos persistence.Topo, backwards bool, ok func(int64) bool) (*persistence.StoredEvent, error) {
	for scanned := 0; scanned < maxReadScan; {
		evs, next, err := v.store.RoomEvents(v.roomID, pos, backwards, 64)
		if err != nil {
			return nil, err
		}
		for _, se := range evs {
			scanned++
			h, err := v.header(se)
			if err != nil {
				return nil, err
			}
			if !ok(h.OriginServerTS) {
				continue
			}
			if vis, err := v.canSee(se); err != nil || !vis {
				if err != nil {
					return nil, err
				}
				continue
			}
			return &se, nil
		}
		if len(evs) < 64 {
			return nil, nil
		}
		pos = next
	}
	return nil, nil
}
