package federation

import (
	"encoding/json"
	"errors"
	"sort"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// stateAt is the room state at an event, as /state and /state_ids serve
// it: the state before the event (what it was built on), and the auth
// chain of those state events.
type stateAt struct {
	pdus, chain []string
}

// stateBefore reads the state before eventID of roomID, checking access.
func (a *API) stateBefore(ctx *fasthttp.RequestCtx, origin string) (version.Spec, stateAt, error) {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return version.Spec{}, stateAt{}, err
	}
	eventID := axhttp.Query(ctx, "event_id")
	if eventID == "" {
		return version.Spec{}, stateAt{}, axhttp.MissingParam("event_id")
	}
	v, err := a.roomHistoryAccess(roomID, origin)
	if err != nil {
		return v, stateAt{}, err
	}
	rec, err := a.cfg.Store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && rec.RoomID != roomID) {
		return v, stateAt{}, notFound("Event not found in this room")
	}
	if err != nil {
		return v, stateAt{}, err
	}
	if !a.serverCanSee(rec, origin) {
		return v, stateAt{}, forbidden("Event is not visible to this server")
	}
	if rec.Outlier && rec.StateBefore == 0 {
		// An event held only for its ID (an auth event fetched to check
		// another) has no known state before it; an empty answer would
		// claim the room had none.
		return v, stateAt{}, notFound("The state at this event is not known to this server")
	}
	state, err := a.cfg.Store.StateBefore(rec)
	if err != nil {
		return v, stateAt{}, err
	}
	ids, err := a.idsOf(state)
	if err != nil {
		return v, stateAt{}, err
	}
	chain, err := stateres.AuthChain(v, ids, storeEvents{a.cfg.Store})
	if err != nil {
		return v, stateAt{}, err
	}
	return v, stateAt{pdus: ids, chain: chain}, nil
}

func (a *API) idsOf(s persistence.StateMap) ([]string, error) {
	nids := make([]uint64, 0, len(s))
	for _, nid := range s {
		nids = append(nids, nid)
	}
	recs, err := a.cfg.Store.EventsByNID(nids)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.EventID
	}
	sort.Strings(ids)
	return ids, nil
}

// stateIDs answers GET /_matrix/federation/v1/state_ids/{roomId}
// (events.yaml).
func (a *API) stateIDs(ctx *fasthttp.RequestCtx, origin string) error {
	_, s, err := a.stateBefore(ctx, origin)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"pdu_ids": s.pdus, "auth_chain_ids": s.chain})
	return nil
}

// state answers GET /_matrix/federation/v1/state/{roomId} (events.yaml).
func (a *API) state(ctx *fasthttp.RequestCtx, origin string) error {
	_, s, err := a.stateBefore(ctx, origin)
	if err != nil {
		return err
	}
	pdus, err := a.rawEvents(s.pdus)
	if err != nil {
		return err
	}
	chain, err := a.rawEvents(s.chain)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"pdus": pdus, "auth_chain": chain})
	return nil
}

func (a *API) rawEvents(ids []string) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(ids))
	for _, id := range ids {
		rec, err := a.cfg.Store.EventByID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, rec.Raw)
	}
	return out, nil
}

// eventAuth answers GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}
// (event_auth.yaml): the event's full auth chain.
func (a *API) eventAuth(ctx *fasthttp.RequestCtx, origin string) error {
	roomID, err := axhttp.Param(ctx, "roomId")
	if err != nil {
		return err
	}
	eventID, err := axhttp.Param(ctx, "eventId")
	if err != nil {
		return err
	}
	v, err := a.roomHistoryAccess(roomID, origin)
	if err != nil {
		return err
	}
	rec, err := a.cfg.Store.EventByID(eventID)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && rec.RoomID != roomID) {
		return notFound("Event not found in this room")
	}
	if err != nil {
		return err
	}
	if !a.serverCanSee(rec, origin) {
		return forbidden("Event is not visible to this server")
	}
	ev, err := rec.Event()
	if err != nil {
		return err
	}
	chain, err := stateres.AuthChain(v, ev.AuthEvents, storeEvents{a.cfg.Store})
	if err != nil {
		return err
	}
	// AuthChain leaves out starting events nobody else reaches: the auth
	// events themselves belong in the answer.
	seen := make(map[string]bool, len(chain))
	for _, id := range chain {
		seen[id] = true
	}
	for _, id := range ev.AuthEvents {
		if !seen[id] {
			chain = append(chain, id)
		}
	}
	sort.Strings(chain)
	raws, err := a.rawEvents(chain)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"auth_chain": raws})
	return nil
}
