package client

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// postReceipt is POST /rooms/{roomId}/receipt/{receiptType}/{eventId}
// (receipts.yaml): m.read and m.read.private receipts, optionally in a
// thread, and m.fully_read, which sets the read marker.
func (a *API) postReceipt(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := a.requireJoined(ctx, s)
	if err != nil {
		return err
	}
	typ, err := axhttp.Param(ctx, "receiptType")
	if err != nil {
		return err
	}
	switch typ {
	case receiptRead, receiptReadPrivate, markerFullyRead:
	default:
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown receipt type")
	}
	eventID, err := pathEventOf(ctx)
	if err != nil {
		return err
	}
	var body struct {
		ThreadID *string `json:"thread_id"`
	}
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	thread := ""
	if body.ThreadID != nil {
		// Spec "Threaded read receipts": "main" or a thread root's event
		// ID; the read marker has no threads.
		thread = *body.ThreadID
		if typ == markerFullyRead || thread != "main" && !strings.HasPrefix(thread, "$") {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid thread_id")
		}
	}
	if err := a.checkEventInRoom(roomID, eventID); err != nil {
		return err
	}
	if typ == markerFullyRead {
		err = a.setFullyRead(s, roomID, eventID)
	} else {
		err = a.putReceipt(s, roomID, typ, eventID, thread)
	}
	if err != nil {
		return err
	}
	a.presenceActive(a.userID(s.Localpart))
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// postReadMarkers is POST /rooms/{roomId}/read_markers (read_markers.yaml):
// the read marker and, optionally, a public and a private receipt.
func (a *API) postReadMarkers(ctx *fasthttp.RequestCtx, s user.Session) error {
	roomID, err := a.requireJoined(ctx, s)
	if err != nil {
		return err
	}
	var body map[string]*string
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	for _, k := range []string{markerFullyRead, receiptRead, receiptReadPrivate} {
		if id := body[k]; id != nil {
			if !strings.HasPrefix(*id, "$") {
				return axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed event ID for %s", k)
			}
			if err := a.checkEventInRoom(roomID, *id); err != nil {
				return err
			}
		}
	}
	if id := body[markerFullyRead]; id != nil {
		if err := a.setFullyRead(s, roomID, *id); err != nil {
			return err
		}
	}
	for _, k := range []string{receiptRead, receiptReadPrivate} {
		if id := body[k]; id != nil {
			if err := a.putReceipt(s, roomID, k, *id, ""); err != nil {
				return err
			}
		}
	}
	a.presenceActive(a.userID(s.Localpart))
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// checkEventInRoom answers 404 M_NOT_FOUND for an event the room does not
// hold.
func (a *API) checkEventInRoom(roomID, eventID string) error {
	se, err := a.cfg.Store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) || err == nil && se.RoomID != roomID {
		return axhttp.Errorf(axhttp.CodeNotFound, "Event not found in this room")
	}
	return err
}

// setFullyRead stores the m.fully_read room account data (client-server-api
// module "Fully read markers").
func (a *API) setFullyRead(s user.Session, roomID, eventID string) error {
	content, _ := json.Marshal(map[string]string{"event_id": eventID})
	_, err := a.doUser(s.Localpart, user.SetAccountData{RoomID: roomID, Type: markerFullyRead, Content: content})
	return err
}

// putReceipt stores a receipt and wakes whoever syncs it: the room's
// joined members, or only the owner for a private receipt.
func (a *API) putReceipt(s user.Session, roomID, typ, eventID, thread string) error {
	_, err := a.cfg.Store.PutReceipt(persistence.Receipt{
		RoomID: roomID, Type: typ, UserID: a.userID(s.Localpart), ThreadID: thread,
		EventID: eventID, TS: a.cfg.Now().UnixMilli(),
	})
	if err != nil {
		return err
	}
	if typ == receiptReadPrivate {
		a.cfg.Users.Wake([]string{s.Localpart}, 0)
	} else {
		a.background(func() { a.wakeRoom(roomID) })
		if a.cfg.Federate != nil {
			a.cfg.Federate.Receipt(roomID, typ, a.userID(s.Localpart), eventID, thread, a.cfg.Now().UnixMilli())
		}
	}
	return nil
}
