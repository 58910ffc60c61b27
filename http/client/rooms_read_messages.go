package client

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// timelinePage is what one walk through a room's timeline found.
type timelinePage struct {
	events []persistence.StoredEvent
	// next continues the walk; more is false when the walk reached the end
	// of the room or the to position.
	next persistence.Topo
	more bool
}

// walk pages through the room from `from` (backwards: strictly before it,
// newest first; forwards: at or after it, oldest first), keeping events the
// user may see and the filter accepts, until it has limit of them, reaches
// `to` (when set) or the end, or has looked at maxReadScan events.
func (v *roomView) walk(from persistence.Topo, to *persistence.Topo, backwards bool, limit int, f *eventFilter) (timelinePage, error) {
	p := timelinePage{next: from, more: true}
	scanned := 0
	for len(p.events) < limit && scanned < maxReadScan {
		batch := min(max(limit-len(p.events), 16), maxReadScan-scanned)
		evs, next, err := v.store.RoomEvents(v.roomID, p.next, backwards, batch)
		if err != nil {
			return p, err
		}
		for i, se := range evs {
			if to != nil && beyond(se.Topo(), *to, backwards) {
				p.more = false
				return p, nil
			}
			scanned++
			p.next = afterEvent(se.Topo(), backwards)
			ok, err := v.canSee(se)
			if err != nil {
				return p, err
			}
			if ok && f != nil {
				h, err := v.header(se)
				if err != nil {
					return p, err
				}
				ok = f.matches(v.roomID, h)
			}
			if ok {
				p.events = append(p.events, se)
				if len(p.events) == limit {
					// More may follow; the next timelinePage tells.
					p.more = i < len(evs)-1 || len(evs) == batch
					return p, nil
				}
			}
		}
		if len(evs) < batch {
			p.next = next
			p.more = false
			return p, nil
		}
	}
	return p, nil
}

// beyond reports whether t is past the stop position to in the walk's
// direction (the to token is exclusive both ways).
func beyond(t, to persistence.Topo, backwards bool) bool {
	if backwards {
		return topoLess(t, to)
	}
	return !topoLess(t, to)
}

// afterEvent is the walk position just past an event.
func afterEvent(t persistence.Topo, backwards bool) persistence.Topo {
	if backwards {
		return t
	}
	return t.After()
}

// GET /rooms/{roomId}/messages (message_pagination.yaml).
func (a *API) getMessages(ctx *fasthttp.RequestCtx, s user.Session) error {
	dir := axhttp.Query(ctx, "dir")
	if dir == "" {
		return axhttp.MissingParam("dir")
	}
	if dir != "b" && dir != "f" {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "dir must be b or f")
	}
	backwards := dir == "b"
	limit, err := pageLimitParam(ctx, defaultPageLimit)
	if err != nil {
		return err
	}
	f, err := parseEventFilter(axhttp.Query(ctx, "filter"))
	if err != nil {
		return readError(err)
	}
	if l := f.limit(); l > 0 && l < limit {
		limit = l
	}
	fromStr := axhttp.Query(ctx, "from")
	fromTok, fromGiven, err := optionalRoomToken(fromStr)
	if err != nil {
		return readError(err)
	}
	toTok, toGiven, err := optionalRoomToken(axhttp.Query(ctx, "to"))
	if err != nil {
		return readError(err)
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	var from, to persistence.Topo
	if fromGiven {
		if from, err = v.topoOf(fromTok); err != nil {
			return readError(err)
		}
	}
	if toGiven {
		if to, err = v.topoOf(toTok); err != nil {
			return readError(err)
		}
	}
	if !fromGiven {
		// Spec v1.3: without from, start at the first or last event.
		if backwards {
			if from, err = v.store.RoomEnd(v.roomID); err != nil {
				return err
			}
		} else {
			from = persistence.Topo{}
		}
	}
	var stop *persistence.Topo
	if toGiven {
		stop = &to
	}
	p, err := v.walk(from, stop, backwards, limit, &f)
	if err != nil {
		return err
	}
	if backwards && a.cfg.Rooms != nil {
		// A room joined over federation starts where this server joined:
		// older history is fetched from the other servers on the way.
		if p, err = a.backfillPage(ctx, v, from, stop, limit, &f, p); err != nil {
			return err
		}
	}
	chunk, err := v.serveEvents(p.events, a.readNow())
	if err != nil {
		return err
	}
	// "start": the same as the value given in from (message_pagination.yaml).
	start := fromStr
	if !fromGiven {
		start = topoToken(from)
	}
	end := ""
	if p.more {
		end = topoToken(p.next)
	}
	var state []json.RawMessage
	if f.LazyLoadMembers {
		// Each sender's member event once per response. Pages are not
		// deduplicated against each other, whatever include_redundant_members
		// says: a client may page from any token, in any order, so what it
		// holds cannot be known (Synapse does the same); the spec lets a
		// server send redundant member events ("Lazy-loading room members").
		members, err := v.lazyMembers(p.events)
		if err != nil {
			return err
		}
		if state, err = v.serveEvents(members, a.readNow()); err != nil {
			return err
		}
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(messagesBody(start, end, chunk, state, f.LazyLoadMembers))
	return nil
}

// messagesBody writes the /messages response around events that are
// already encoded, without a second pass of encoding/json over them.
func messagesBody(start, end string, chunk, state []json.RawMessage, withState bool) []byte {
	n := 64
	for _, e := range chunk {
		n += len(e) + 1
	}
	for _, e := range state {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"chunk":`...)
	b = appendRawList(b, chunk)
	if end != "" {
		b = append(b, `,"end":`...)
		b = append(b, rawOf(end)...)
	}
	b = append(b, `,"start":`...)
	b = append(b, rawOf(start)...)
	if withState {
		b = append(b, `,"state":`...)
		b = appendRawList(b, state)
	}
	return append(b, '}')
}

func appendRawList(b []byte, items []json.RawMessage) []byte {
	b = append(b, '[')
	for i, e := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, ']')
}

func optionalRoomToken(s string) (pageFrom, bool, error) {
	if s == "" {
		return pageFrom{}, false, nil
	}
	p, err := parsePageFrom(s)
	return p, err == nil, err
}

// topoOf turns a parsed token into a position in the room; a /sync token's
// stream position becomes the position after the room's last event at or
// below it.
func (v *roomView) topoOf(p pageFrom) (persistence.Topo, error) {
	if p.stream {
		return v.store.RoomTopoAtStream(v.roomID, p.room.Stream)
	}
	return tokenToTopo(p.room)
}

// GET /rooms/{roomId}/context/{eventId} (event_context.yaml): the event,
// up to limit events around it (half before, the rest after), and the
// state at the last event returned.
func (a *API) getContext(ctx *fasthttp.RequestCtx, s user.Session) error {
	eventID, err := pathEventOf(ctx)
	if err != nil {
		return err
	}
	limit, err := pageLimitParam(ctx, defaultPageLimit)
	if err != nil {
		return err
	}
	f, err := parseEventFilter(axhttp.Query(ctx, "filter"))
	if err != nil {
		return readError(err)
	}
	if l := f.limit(); l > 0 && l < limit {
		limit = l
	}
	v, err := a.openFor(ctx, s)
	if err != nil {
		return err
	}
	se, err := v.visibleEvent(eventID)
	if err != nil {
		return err
	}
	before, err := v.walk(se.Topo(), nil, true, limit/2, &f)
	if err != nil {
		return err
	}
	after, err := v.walk(se.Topo().After(), nil, false, limit-limit/2, &f)
	if err != nil {
		return err
	}
	now := a.readNow()
	target, err := v.serveEvent(se, now)
	if err != nil {
		return err
	}
	eb, err := v.serveEvents(before.events, now)
	if err != nil {
		return err
	}
	ea, err := v.serveEvents(after.events, now)
	if err != nil {
		return err
	}
	last := se
	if n := len(after.events); n > 0 {
		last = after.events[n-1]
	}
	st, err := v.store.StateAfter(last)
	if err != nil {
		return err
	}
	stateEvents, err := v.stateEvents(st, "")
	if err != nil {
		return err
	}
	if f.LazyLoadMembers {
		stateEvents, err = v.lazyState(stateEvents, append(append([]persistence.StoredEvent{se}, before.events...), after.events...))
		if err != nil {
			return err
		}
	}
	state, err := v.serveEvents(stateEvents, now)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"event": target, "events_before": eb, "events_after": ea, "state": state,
		"start": topoToken(before.next), "end": topoToken(after.next),
	})
	return nil
}

// lazyState keeps the non-member state and the member events of the
// senders of events (client-server-api "Lazy-loading room members").
func (v *roomView) lazyState(state, events []persistence.StoredEvent) ([]persistence.StoredEvent, error) {
	senders := map[string]bool{}
	for _, se := range events {
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		senders[h.Sender] = true
	}
	out := state[:0:0]
	for _, se := range state {
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		if h.Type == "m.room.member" && (h.StateKey == nil || !senders[*h.StateKey]) {
			continue
		}
		out = append(out, se)
	}
	return out, nil
}
