package client

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

const relTypeThread = "m.thread"

// GET /v1/rooms/{roomId}/threads (threads_list.yaml): thread roots the
// user may see, ordered by their latest reply, newest first. It walks the
// timeline backwards and takes a root when it meets the root's latest
// reply, so each root appears once across pages.
func (a *API) getThreads(ctx *fasthttp.RequestCtx, s user.Session) error {
	include := axhttp.Query(ctx, "include")
	if include == "" {
		include = "all"
	}
	if include != "all" && include != "participated" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "include must be all or participated")
	}
	limit, err := pageLimitParam(ctx, defaultRelationsLimit)
	if err != nil {
		return err
	}
	if limit == 0 {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must be greater than zero")
	}
	fromTok, fromGiven, err := optionalRoomToken(axhttp.Query(ctx, "from"))
	if err != nil {
		return readError(err)
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	var from persistence.Topo
	if fromGiven {
		from, err = v.topoOf(fromTok)
	} else {
		from, err = v.store.RoomEnd(v.roomID)
	}
	if err != nil {
		return readError(err)
	}
	var roots []json.RawMessage
	pos, scanned, more := from, 0, true
	now := a.readNow()
	for len(roots) < limit && scanned < maxReadScan && more {
		evs, next, err := v.store.RoomEvents(v.roomID, pos, true, 64)
		if err != nil {
			return err
		}
		more = len(evs) == 64
		if !more {
			pos = next
		}
		for _, se := range evs {
			scanned++
			pos = se.Topo()
			root, ok, err := v.threadRootAt(se, include == "participated")
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			ce, err := v.threadRootEvent(root, now)
			if err != nil {
				return err
			}
			roots = append(roots, ce)
			if len(roots) == limit {
				break
			}
		}
	}
	resp := map[string]any{"chunk": roots}
	if more || scanned >= maxReadScan {
		resp["next_batch"] = topoToken(pos)
	}
	if roots == nil {
		resp["chunk"] = []json.RawMessage{}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}

// threadRootAt returns the root of the thread whose latest reply is se, if
// se is that reply, the user may see both, and (participated) the user
// wrote the root or a reply.
func (v *roomView) threadRootAt(se persistence.StoredEvent, participated bool) (persistence.StoredEvent, bool, error) {
	var none persistence.StoredEvent
	h, err := v.header(se)
	if err != nil {
		return none, false, err
	}
	rel, rootID := relatesToOf(h.Content)
	if rel != relTypeThread || rootID == "" {
		return none, false, nil
	}
	latest, err := v.store.Relations(rootID, relTypeThread, 0, true, 1)
	if err != nil || len(latest) == 0 || latest[0].ChildNID != se.NID {
		return none, false, err
	}
	if ok, err := v.canSee(se); err != nil || !ok {
		return none, false, err
	}
	root, err := v.store.EventByID(rootID)
	if err != nil {
		return none, false, nil
	}
	if ok, err := v.canSee(root); err != nil || !ok {
		return none, false, err
	}
	if participated {
		ok, err := v.participated(root)
		if err != nil || !ok {
			return none, false, err
		}
	}
	return root, true, nil
}

// threadSummary is the bundled m.thread aggregation of a root
// (client-server-api "Server-side aggregation of m.thread relationships").
type threadSummary struct {
	latest       *persistence.StoredEvent
	count        int
	participated bool
}

func (v *roomView) summary(root persistence.StoredEvent) (threadSummary, error) {
	var sum threadSummary
	h, err := v.header(root)
	if err != nil {
		return sum, err
	}
	sum.participated = h.Sender == v.userID
	rels, err := v.store.Relations(root.EventID, relTypeThread, 0, false, maxReadScan)
	if err != nil {
		return sum, err
	}
	for _, r := range rels {
		se, err := v.store.EventByNID(r.ChildNID)
		if err != nil {
			return sum, err
		}
		if ok, err := v.canSee(se); err != nil || !ok {
			if err != nil {
				return sum, err
			}
			continue
		}
		sum.count++
		sum.latest = &se
		if ch, err := v.header(se); err == nil && ch.Sender == v.userID {
			sum.participated = true
		}
	}
	return sum, nil
}

func (v *roomView) participated(root persistence.StoredEvent) (bool, error) {
	sum, err := v.summary(root)
	return sum.participated, err
}

// threadRootEvent is the root in the client format with its bundled
// m.thread aggregation under unsigned.m.relations.
func (v *roomView) threadRootEvent(root persistence.StoredEvent, now int64) (json.RawMessage, error) {
	ce, err := v.serveEvent(root, now)
	if err != nil {
		return nil, err
	}
	sum, err := v.summary(root)
	if err != nil || sum.latest == nil {
		return ce, err
	}
	latest, err := v.serveEvent(*sum.latest, now)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ce, &m); err != nil {
		return nil, err
	}
	var unsigned map[string]json.RawMessage
	if err := json.Unmarshal(m["unsigned"], &unsigned); err != nil || unsigned == nil {
		unsigned = map[string]json.RawMessage{}
	}
	unsigned["m.relations"] = rawOf(map[string]any{relTypeThread: map[string]any{
		"latest_event": latest, "count": sum.count, "current_user_participated": sum.participated,
	}})
	m["unsigned"] = rawOf(unsigned)
	return json.Marshal(m)
}
