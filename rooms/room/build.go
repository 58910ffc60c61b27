package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// maxPrevEvents caps the prev_events of a local event. The PDU format
// allows 20 (event.MaxPrevEvents); like Synapse and Dendrite we cite at most
// the 10 newest extremities, so a room with many forks heals over a few
// events instead of making every event large.
const maxPrevEvents = 10

var keyCreate = event.StateKey{Type: event.TypeCreate}

// pickPrev returns the extremities a new event cites: all of them, or the
// maxPrevEvents deepest.
func (r *Room) pickPrev() []*event.Event {
	if len(r.extremities) <= maxPrevEvents {
		return r.extremities
	}
	xs := slices.Clone(r.extremities)
	slices.SortStableFunc(xs, func(a, b *event.Event) int {
		switch {
		case a.Depth > b.Depth:
			return -1
		case a.Depth < b.Depth:
			return 1
		}
		return 0
	})
	return xs[:maxPrevEvents]
}

// depthAfter is one more than the deepest of prev, capped at the version's
// largest depth (pdu_v1 "depth"; components/depth_v6.yaml from v6).
func depthAfter(v version.Spec, prev []*event.Event) int64 {
	limit := int64(event.MaxDepth)
	if v.StrictCanonicalJSON {
		limit = event.MaxDepthStrict
	}
	var d int64
	for _, p := range prev {
		d = max(d, p.Depth)
	}
	if d >= limit {
		return limit
	}
	return d + 1
}

// build makes the signed event of proposal p on top of the current state:
// prev_events from the forward extremities, depth after them, auth_events
// by the auth events selection over the current state (server-server-api
// "Auth events selection").
func (r *Room) build(p *Proposal, now int64) (*event.Event, error) {
	content := p.Content
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	needed, err := auth.EventsNeeded(r.spec, p.Type, p.StateKey, p.Sender, content)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	authIDs := make([]string, 0, len(needed))
	for _, k := range needed {
		if ev := r.state[k]; ev != nil {
			authIDs = append(authIDs, ev.ID)
		}
	}
	prev := r.pickPrev()
	prevIDs := make([]string, len(prev))
	for i, ev := range prev {
		prevIDs[i] = ev.ID
	}
	proto := event.Proto{
		RoomID: r.id, Type: p.Type, StateKey: p.StateKey, Sender: p.Sender,
		Content: content, PrevEvents: prevIDs, AuthEvents: authIDs,
		Depth: depthAfter(r.spec, prev), OriginServerTS: now,
		Redacts: p.Redacts, Rand: r.signer.Rand,
	}
	if r.spec.Format == version.FormatV1 {
		if proto.ReferenceHashes, err = r.referenceHashes(prev, authIDs); err != nil {
			return nil, err
		}
	}
	return r.sign(&proto)
}

// sign builds and signs a proto as this server, mapping the builder's
// failures onto this package's.
func (r *Room) sign(proto *event.Proto) (*event.Event, error) {
	ev, err := proto.Build(r.spec, r.signer.ServerName, r.signer.Key)
	switch {
	case err == nil:
		return ev, nil
	case errors.Is(err, event.ErrTooLarge):
		return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
	case errors.Is(err, event.ErrBadJSON), errors.Is(err, event.ErrFieldType),
		errors.Is(err, event.ErrFieldValue), errors.Is(err, event.ErrFieldTooLong):
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	return nil, fmt.Errorf("%w: %v", ErrBuild, err)
}

// referenceHashes returns the reference hashes room versions 1 and 2 quote
// beside each prev_events and auth_events ID, from a per-room cache.
func (r *Room) referenceHashes(prev []*event.Event, authIDs []string) (map[string][32]byte, error) {
	if r.refHashes == nil {
		r.refHashes = map[string][32]byte{}
	}
	out := make(map[string][32]byte, len(prev)+len(authIDs))
	add := func(ev *event.Event) error {
		h, ok := r.refHashes[ev.ID]
		if !ok {
			var err error
			if h, err = event.ReferenceHash(ev.Raw, r.spec); err != nil {
				return fmt.Errorf("%w: reference hash of %s: %v", ErrBuild, ev.ID, err)
			}
			if len(r.refHashes) > 4096 {
				clear(r.refHashes)
			}
			r.refHashes[ev.ID] = h
		}
		out[ev.ID] = h
		return nil
	}
	for _, ev := range prev {
		if err := add(ev); err != nil {
			return nil, err
		}
	}
	for _, ev := range r.state {
		if slices.Contains(authIDs, ev.ID) {
			if err := add(ev); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
