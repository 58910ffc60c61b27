package room

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
)

// The state of backfilled events, computed forwards (backfill_place.go).

// stateBefore returns the state group before ev: from the states after
// its prev_events when each is known, else the state fetched for ev and
// stored on its outlier record. known is false when neither is there.
func (p *placement) stateBefore(ev *event.Event) (group uint64, known bool, err error) {
	var groups []uint64
	for _, prev := range uniq(ev.PrevEvents) {
		if p.reach[prev] {
			g, ok := p.after[prev]
			if !ok {
				return 0, false, nil // a prev_event left out: unknown
			}
			groups = append(groups, g)
			continue
		}
		g, ok, err := p.heldStateAfter(prev)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return p.fetchedBefore(ev.ID)
		}
		groups = append(groups, g)
	}
	return p.resolve(ev, groups)
}

// heldStateAfter is the state after a timeline event of the room
// outside the chunk.
func (p *placement) heldStateAfter(id string) (uint64, bool, error) {
	rec, err := p.store.EventByID(id)
	if errors.Is(err, persistence.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil || rec.RoomID != p.roomID || rec.Outlier {
		return 0, false, err
	}
	in, err := p.store.InTimeline(rec)
	return rec.StateAfter, in, err
}

// fetchedBefore writes the state given for an event (PlaceBackfilledAt)
// as a snapshot group; known is false when none was given or it names an
// event not held.
func (p *placement) fetchedBefore(id string) (uint64, bool, error) {
	given, ok := p.given[id]
	if !ok {
		return 0, false, nil
	}
	st := make(persistence.StateMap, len(given))
	for k, sid := range given {
		nid, ok := p.nids[sid]
		if !ok {
			var err error
			nid, err = p.store.EventNID(sid)
			if errors.Is(err, persistence.ErrNotFound) {
				return 0, false, nil
			}
			if err != nil {
				return 0, false, err
			}
		}
		st[k] = nid
	}
	g := p.b.NextStateGroup()
	p.b.PutStateGroup(g, persistence.StateGroup{RoomID: p.roomID, Snapshot: true, Entries: snapshotEntries(st)})
	p.states[g], p.chains[g] = st, 0
	return g, true, nil
}

// resolve is the state group before ev given the groups after its
// prev_events: the one group when they agree, else a snapshot group of
// their resolution.
func (p *placement) resolve(ev *event.Event, groups []uint64) (uint64, bool, error) {
	slices.Sort(groups)
	groups = slices.Compact(groups)
	switch len(groups) {
	case 0:
		return 0, true, nil // m.room.create: nothing before it
	case 1:
		return groups[0], true, nil
	}
	sets := make([]stateres.StateMap, 0, len(groups))
	var first persistence.StateMap
	same := true
	for i, g := range groups {
		st, err := p.state(g)
		if err != nil {
			return 0, false, err
		}
		if i == 0 {
			first = st
		} else if !maps.Equal(first, st) {
			same = false
		}
		ids := make(stateres.StateMap, len(st))
		for k, nid := range st {
			id, err := p.idOf(nid)
			if err != nil {
				return 0, false, err
			}
			ids[k] = id
		}
		sets = append(sets, ids)
	}
	if same {
		return groups[0], true, nil
	}
	res, err := stateres.Resolve(ev.Version, sets, placementEvents{p})
	if err != nil {
		// An auth chain this server does not hold whole: the state
		// before ev is unknown, and ev is left out like any such event.
		return 0, false, nil
	}
	st := make(persistence.StateMap, len(res))
	for k, id := range res {
		nid, ok := p.nids[id]
		if !ok {
			if nid, err = p.store.EventNID(id); err != nil {
				return 0, false, fmt.Errorf("resolved state event %s: %w", id, err)
			}
		}
		st[k] = nid
	}
	g := p.b.NextStateGroup()
	p.b.PutStateGroup(g, persistence.StateGroup{RoomID: p.roomID, Snapshot: true, Entries: snapshotEntries(st)})
	p.states[g], p.chains[g] = st, 0
	return g, true, nil
}

// idOf is the event ID of a NID: of the chunk, or stored.
func (p *placement) idOf(nid uint64) (string, error) {
	if p.byNID == nil {
		p.byNID = make(map[uint64]string, len(p.nids))
		for id, n := range p.nids {
			p.byNID[n] = id
		}
	}
	if id, ok := p.byNID[nid]; ok {
		return id, nil
	}
	rec, err := p.store.EventByNID(nid)
	if err != nil {
		return "", fmt.Errorf("state event NID %d: %w", nid, err)
	}
	return rec.EventID, nil
}

// eventOf is an event of the chunk or stored, by ID.
func (p *placement) eventOf(id string) (*event.Event, error) {
	if ev, ok := p.chunk[id]; ok {
		return ev, nil
	}
	rec, err := p.store.EventByID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", stateres.ErrMissingEvent, id, err)
	}
	return rec.Event()
}

// placementEvents serves state resolution the chunk and stored events.
type placementEvents struct{ p *placement }

func (e placementEvents) Event(id string) (*event.Event, error) { return e.p.eventOf(id) }

// allowed runs the auth rules on ev against the state group before it
// (server-server-api "Checks performed on receipt of a PDU", check 5).
func (p *placement) allowed(ev *event.Event, before uint64) (bool, error) {
	st, err := p.state(before)
	if err != nil {
		return false, err
	}
	ls := &lazyState{p: p, st: st}
	err = auth.Allowed(ev, ls)
	if ls.err != nil {
		return false, ls.err
	}
	return err == nil, nil
}

// lazyState reads only the slots the auth rules ask for.
type lazyState struct {
	p   *placement
	st  persistence.StateMap
	err error
}

func (s *lazyState) Get(k event.StateKey) *event.Event {
	nid, ok := s.st[k]
	if !ok || s.err != nil {
		return nil
	}
	// The same few events (create, power levels, the senders'
	// memberships) answer most checks of a chunk: each is parsed once.
	if ev, ok := s.p.parsed[nid]; ok {
		return ev
	}
	id, err := s.p.idOf(nid)
	if err != nil {
		s.err = err
		return nil
	}
	ev, err := s.p.eventOf(id)
	if err != nil {
		s.err = err
		return nil
	}
	if s.p.parsed == nil {
		s.p.parsed = make(map[uint64]*event.Event)
	}
	s.p.parsed[nid] = ev
	return ev
}

// backfillRelation is the m.relates_to of a backfilled event.
type backfillRelation struct {
	RelType string `json:"rel_type"`
	EventID string `json:"event_id"`
}

// relationOf reads content."m.relates_to" (client-server-api "Forming
// relationships between events"); replies written only as m.in_reply_to
// carry no rel_type and are not relations.
func relationOf(ev *event.Event) *backfillRelation {
	if !bytes.Contains(ev.Content, []byte(`"m.relates_to"`)) {
		return nil
	}
	var c struct {
		RelatesTo backfillRelation `json:"m.relates_to"`
	}
	if json.Unmarshal(ev.Content, &c) != nil || c.RelatesTo.RelType == "" || c.RelatesTo.EventID == "" {
		return nil
	}
	return &c.RelatesTo
}
