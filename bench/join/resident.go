package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
)

const (
	makeJoinPrefix = "/_matrix/federation/v1/make_join/"
	sendJoinPrefix = "/_matrix/federation/v2/send_join/"
)

// answer is the body of the resident's send_join answer: the state and
// its auth chain as raw events (server-server-api "Joining Rooms",
// PUT /v2/send_join), with forged[id] in place of event id where given.
func (r *room) answer(forged map[string]json.RawMessage) []byte {
	var b bytes.Buffer
	list := func(evs []*event.Event) {
		b.WriteByte('[')
		for i, ev := range evs {
			if i > 0 {
				b.WriteByte(',')
			}
			if f, ok := forged[ev.ID]; ok {
				b.Write(f)
			} else {
				b.Write(ev.Raw)
			}
		}
		b.WriteByte(']')
	}
	fmt.Fprintf(&b, `{"origin":%q,"members_omitted":false,"state":`, r.server)
	list(r.state)
	b.WriteString(`,"auth_chain":`)
	list(r.chain)
	b.WriteByte('}')
	return b.Bytes()
}

// serveJoins makes p the resident server of r: it answers make_join with
// a template on the room's last event and send_join with answer. Keys and
// transactions are the kit's own.
func serveJoins(p *fedtest.Peer, r *room, answer []byte) {
	p.Handle(fasthttp.MethodGet, makeJoinPrefix, func(ctx *fasthttp.RequestCtx) { r.makeJoin(ctx) })
	p.Handle(fasthttp.MethodPut, sendJoinPrefix, func(ctx *fasthttp.RequestCtx) {
		roomID, eventID, ok := pathPair(ctx, sendJoinPrefix)
		if !ok || roomID != r.id {
			fail(ctx, fasthttp.StatusNotFound, "M_NOT_FOUND", "Unknown room")
			return
		}
		ev, err := event.Parse(ctx.PostBody(), r.v)
		if err != nil || ev.ID != eventID || ev.RoomID != r.id || ev.Type != event.TypeMember {
			fail(ctx, fasthttp.StatusBadRequest, "M_BAD_JSON", "Not a join of this room")
			return
		}
		ctx.SetContentType("application/json")
		ctx.Response.SetBodyRaw(answer)
	})
}

// makeJoin answers GET /v1/make_join/{roomId}/{userId} with a template
// whose auth events the resident selects from the room's state.
func (r *room) makeJoin(ctx *fasthttp.RequestCtx) {
	roomID, userID, ok := pathPair(ctx, makeJoinPrefix)
	if !ok || roomID != r.id {
		fail(ctx, fasthttp.StatusNotFound, "M_NOT_FOUND", "Unknown room")
		return
	}
	supported := false
	for _, v := range ctx.QueryArgs().PeekMulti("ver") {
		supported = supported || string(v) == string(r.v.ID)
	}
	if !supported {
		fail(ctx, fasthttp.StatusBadRequest, "M_INCOMPATIBLE_ROOM_VERSION", "Room version not offered")
		return
	}
	content := json.RawMessage(`{"membership":"join"}`)
	needed, err := auth.EventsNeeded(r.v, event.TypeMember, &userID, userID, content)
	if err != nil {
		fail(ctx, fasthttp.StatusBadRequest, "M_BAD_JSON", err.Error())
		return
	}
	authEvents := []string{}
	for _, k := range needed {
		if ev, ok := r.byKey[k]; ok {
			authEvents = append(authEvents, ev.ID)
		}
	}
	tmpl := map[string]any{
		"room_version": string(r.v.ID),
		"event": map[string]any{
			"room_id": r.id, "type": event.TypeMember, "state_key": userID, "sender": userID,
			"content": content, "prev_events": []string{r.last.ID}, "auth_events": authEvents,
			"depth": r.last.Depth + 1, "origin": r.server, "origin_server_ts": time.Now().UnixMilli(),
		},
	}
	b, _ := json.Marshal(tmpl)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// pathPair reads the two escaped path segments after prefix.
func pathPair(ctx *fasthttp.RequestCtx, prefix string) (string, string, bool) {
	parts := strings.Split(strings.TrimPrefix(string(ctx.Request.URI().PathOriginal()), prefix), "/")
	if len(parts) != 2 {
		return "", "", false
	}
	a, err1 := url.PathUnescape(parts[0])
	b, err2 := url.PathUnescape(strings.SplitN(parts[1], "?", 2)[0])
	return a, b, err1 == nil && err2 == nil
}

func fail(ctx *fasthttp.RequestCtx, status int, code, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	b, _ := json.Marshal(map[string]string{"errcode": code, "error": msg})
	ctx.SetBody(b)
}
