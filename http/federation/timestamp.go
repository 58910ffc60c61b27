package federation

import (
	"strconv"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// maxTimestampScan bounds the events one /timestamp_to_event reads.
const maxTimestampScan = 10000

// timestampToEvent answers GET
// /_matrix/federation/v1/timestamp_to_event/{roomId} (events.yaml): the
// visible event closest to ts in direction dir, scanning the room's
// topological order.
func (a *API) timestampToEvent(ctx *fasthttp.RequestCtx, origin string) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(axhttp.Query(ctx, "ts"), 10, 64)
	if err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "ts must be an integer")
	}
	dir := axhttp.Query(ctx, "dir")
	if dir != "f" && dir != "b" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "dir must be f or b")
	}
	if _, err := a.roomAccess(roomID, origin); err != nil {
		return err
	}
	end, err := a.cfg.Store.RoomEnd(roomID)
	if err != nil {
		return err
	}
	var best *persistence.StoredEvent
	var bestTS int64
	from, scanned := end, 0
	for scanned < maxTimestampScan {
		recs, next, err := a.cfg.Store.RoomEvents(roomID, from, true, 200)
		if err != nil {
			return err
		}
		for i := range recs {
			r := recs[i]
			scanned++
			ev, err := r.Event()
			if err != nil || !a.serverCanSee(r, origin) {
				continue
			}
			t := ev.OriginServerTS
			ok := (dir == "f" && t >= ts) || (dir == "b" && t <= ts)
			if !ok {
				continue
			}
			if best == nil || (dir == "f" && t < bestTS) || (dir == "b" && t > bestTS) {
				best, bestTS = &r, t
			}
		}
		if len(recs) == 0 || next == from {
			break
		}
		from = next
	}
	if best == nil {
		return notFound("No event found")
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"event_id": best.EventID, "origin_server_ts": bestTS})
	return nil
}
