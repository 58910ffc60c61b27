package client

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// maxReportReason bounds the stored reason.
const maxReportReason = 4096

type reportBody struct {
	Reason string `json:"reason"`
	Score  *int   `json:"score"`
}

// POST /rooms/{roomId}/report/{eventId} (report_content.yaml): the event
// must exist and be visible to the reporter, else 404 M_NOT_FOUND (the
// spec lets servers answer the same for both so reports do not reveal
// events).
func (a *API) reportEvent(ctx *fasthttp.RequestCtx, s user.Session) error {
	eventID, err := pathEventOf(ctx)
	if err != nil {
		return err
	}
	var body reportBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return axhttp.Errorf(axhttp.CodeNotFound, "Event not found")
	}
	if _, err := v.visibleEvent(eventID); err != nil {
		return err
	}
	return a.storeReport(ctx, persistence.Report{RoomID: v.roomID, EventID: eventID, UserID: v.userID, Reason: body.Reason, Score: body.Score})
}

// POST /rooms/{roomId}/report (report_content.yaml, spec v1.13): a report
// of a whole room; unknown rooms are 404 M_NOT_FOUND.
func (a *API) reportRoom(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := pathRoomOf(ctx)
	if err != nil {
		return err
	}
	var body reportBody
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	if _, err := a.cfg.Store.Room(roomID); err != nil {
		return axhttp.Errorf(axhttp.CodeNotFound, "Room not found")
	}
	return a.storeReport(ctx, persistence.Report{RoomID: roomID, UserID: a.userID(s.Localpart), Reason: body.Reason, Score: body.Score})
}

func (b reportBody) check() error {
	if len(b.Reason) > maxReportReason {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "reason is longer than %d bytes", maxReportReason)
	}
	if b.Score != nil && (*b.Score < -100 || *b.Score > 0) {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "score must be between -100 and 0")
	}
	return nil
}

func (a *API) storeReport(ctx *fasthttp.RequestCtx, r persistence.Report) error {
	r.Received = a.readNow()
	if _, err := a.cfg.Store.AddReport(r); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// GET /_synapse/admin/v1/event_reports (Synapse's admin API): the stored
// reports for server admins, oldest first, paged with from and limit.
func (a *API) adminEventReports(ctx *fasthttp.RequestCtx, s user.Session) error {
	acc, err := a.cfg.Store.Account(s.Localpart)
	if err != nil || !acc.Admin {
		return axhttp.Errorf(axhttp.CodeForbidden, "You are not a server admin")
	}
	limit, err := pageLimitParam(ctx, 100)
	if err != nil {
		return err
	}
	var from uint64
	if f := axhttp.Query(ctx, "from"); f != "" {
		if from, err = strconv.ParseUint(f, 10, 64); err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "from must be a non-negative integer")
		}
	}
	reps, err := a.cfg.Store.Reports(from, limit+1)
	if err != nil {
		return err
	}
	type entry struct {
		ID       uint64 `json:"id"`
		RoomID   string `json:"room_id"`
		EventID  string `json:"event_id,omitempty"`
		UserID   string `json:"user_id"`
		Reason   string `json:"reason,omitempty"`
		Score    *int   `json:"score,omitempty"`
		Received int64  `json:"received_ts"`
	}
	out := []entry{}
	for i, r := range reps {
		if i == limit {
			break
		}
		out = append(out, entry{ID: r.ID, RoomID: r.RoomID, EventID: r.EventID, UserID: r.UserID, Reason: r.Reason, Score: r.Score, Received: r.Received})
	}
	resp := map[string]any{"event_reports": out}
	if len(reps) > limit && len(out) > 0 {
		resp["next_token"] = out[len(out)-1].ID
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}
