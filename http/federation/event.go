package federation

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// pduTransaction is the body of GET /event and /backfill: a transaction
// holding PDUs (definitions/transaction.yaml).
type pduTransaction struct {
	Origin         string            `json:"origin"`
	OriginServerTS int64             `json:"origin_server_ts"`
	PDUs           []json.RawMessage `json:"pdus"`
}

// event answers GET /_matrix/federation/v1/event/{eventId} (events.yaml)
// for an event the requesting server may see.
func (a *API) event(ctx *fasthttp.RequestCtx, origin string) error {
	eventID, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return err
	}
	rec, err := a.cfg.Store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) {
		return notFound("Event not found")
	}
	if err != nil {
		return err
	}
	if _, err := a.roomHistoryAccess(rec.RoomID, origin); err != nil {
		if axErr, ok := err.(*axhttp.Error); ok && axErr.Code == axhttp.CodeForbidden {
			return notFound("Event not found") // do not tell which rooms exist
		}
		return err
	}
	if !a.serverCanSee(rec, origin) {
		return notFound("Event not found")
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, pduTransaction{Origin: a.cfg.ServerName, OriginServerTS: a.now().UnixMilli(),
		PDUs: []json.RawMessage{rec.Raw}})
	return nil
}
