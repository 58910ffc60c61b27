package fedtest

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// roomEvents is what the hub's peers know of the rooms they joined, shared
// by every peer of the hub: the joins they sent and the state and auth
// chain the resident server returned. Returned events are parsed (their
// IDs computed) only when a server first asks about them, since most
// benchmarks never do.
type roomEvents struct {
	mu      sync.Mutex
	byID    map[string]json.RawMessage
	state   map[string][]string // room → state event IDs after the latest join
	chain   map[string][]string // room → auth chain IDs of the latest join
	pending map[string]pendingJoin
}

type pendingJoin struct {
	v            version.Spec
	state, chain []json.RawMessage
	join         string
}

func (r *roomEvents) learn(join *event.Event, state, chain []json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID, r.state, r.chain, r.pending = map[string]json.RawMessage{}, map[string][]string{}, map[string][]string{}, map[string]pendingJoin{}
	}
	r.byID[join.ID] = join.Raw
	// The latest join's answer holds every earlier one's state.
	r.pending[join.RoomID] = pendingJoin{v: join.Version, state: state, chain: chain, join: join.ID}
}

// settle parses the pending answer of room. r.mu is held.
func (r *roomEvents) settle(room string) {
	pj, ok := r.pending[room]
	if !ok {
		return
	}
	delete(r.pending, room)
	ids := func(raws []json.RawMessage) []string {
		out := make([]string, 0, len(raws))
		for _, raw := range raws {
			ev, err := event.Parse(raw, pj.v)
			if err != nil {
				continue
			}
			r.byID[ev.ID] = raw
			out = append(out, ev.ID)
		}
		return out
	}
	r.state[room] = append(ids(pj.state), pj.join)
	r.chain[room] = ids(pj.chain)
}

func (r *roomEvents) event(id string) (json.RawMessage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for room := range r.pending {
		r.settle(room)
	}
	raw, ok := r.byID[id]
	return raw, ok
}

func (r *roomEvents) stateIDs(room string) (state, chain []string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settle(room)
	state, ok = r.state[room]
	return state, r.chain[room], ok
}

const (
	eventPrefix    = "/_matrix/federation/v1/event/"
	stateIDsPrefix = "/_matrix/federation/v1/state_ids/"
	missingPrefix  = "/_matrix/federation/v1/get_missing_events/"
)

// serveRoom answers the room reads a resident server may make of a peer
// after it joined (server-server-api "Retrieving events"): /event of a
// known event, /state_ids with the state the peer was given at its join
// (the peer never changes it), and /get_missing_events with nothing, since
// the peers send no events but their joins. It reports whether the path
// was one of them.
func (p *Peer) serveRoom(ctx *fasthttp.RequestCtx, path string) bool {
	switch {
	case strings.HasPrefix(path, eventPrefix) && ctx.IsGet():
		id := unescape(strings.TrimPrefix(path, eventPrefix))
		raw, ok := p.hub.events.event(id)
		if !ok {
			writeError(ctx, fasthttp.StatusNotFound, "M_NOT_FOUND", "Unknown event")
			return true
		}
		writeJSON(ctx, map[string]any{"origin": p.Name, "origin_server_ts": nowMS(), "pdus": []json.RawMessage{raw}})
	case strings.HasPrefix(path, stateIDsPrefix) && ctx.IsGet():
		state, chain, ok := p.hub.events.stateIDs(unescape(strings.TrimPrefix(path, stateIDsPrefix)))
		if !ok {
			writeError(ctx, fasthttp.StatusNotFound, "M_NOT_FOUND", "Unknown room")
			return true
		}
		writeJSON(ctx, map[string]any{"pdu_ids": state, "auth_chain_ids": chain})
	case strings.HasPrefix(path, missingPrefix) && ctx.IsPost():
		writeJSON(ctx, map[string]any{"events": []json.RawMessage{}})
	default:
		return false
	}
	return true
}
