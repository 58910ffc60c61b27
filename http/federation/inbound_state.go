package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// Bounds of the work fetching one PDU's missing auth events and state may
// cause.
const (
	// stateFetchTimeout bounds all the requests made for one PDU.
	stateFetchTimeout = 15 * time.Second
	// maxEventFetches is how many events are fetched one by one with
	// /event for one state; a state lacking more comes in one /state.
	maxEventFetches = 256
	// maxAuthRounds bounds the rounds of fetching auth events of fetched
	// events that are still missing.
	maxAuthRounds = 16
)

// errStateFetch reports that the auth events or state a PDU lacks could
// not be fetched, checked or stored.
var errStateFetch = errors.New("federation: fetching the missing state failed")

// fetchStateFor fetches from origin what the room lacks to step ev, after
// /get_missing_events has not closed the gap (server-server-api "Checks
// performed on receipt of a PDU": auth events the server does not hold
// are fetched, and for a prev_event it does not hold, the state at it,
// with GET /state_ids and GET /event, as "Retrieving events" and "Room
// State" describe). Every fetched event passes checks 1 to 3 (format,
// signatures, content hash) and is checked against its own auth events
// (check 4: a failure stores it as rejected); all are stored as outliers,
// and each missing prev_event with the state before it, so that the room
// actor then checks ev against that state. It all runs here, outside the
// room actor, bounded in time and in requests.
func (a *API) fetchStateFor(ctx context.Context, origin string, ev *event.Event) error {
	if a.cfg.Client == nil {
		return fmt.Errorf("%w: no federation client", errStateFetch)
	}
	select {
	case a.fetches <- struct{}{}:
		defer func() { <-a.fetches }()
	case <-ctx.Done():
		return ctx.Err()
	}
	c, cancel := context.WithTimeout(ctx, stateFetchTimeout)
	defer cancel()
	create, err := a.cfg.Store.CurrentStateEvent(ev.RoomID, event.TypeCreate, "")
	if err != nil {
		return fmt.Errorf("%w: the room's create event: %w", errStateFetch, err)
	}
	createEv, err := create.Event()
	if err != nil {
		return err
	}
	g := &gathering{
		a: a, origin: origin, roomID: ev.RoomID, v: ev.Version, create: createEv,
		fetcher: &federation.EventFetcher{Client: a.cfg.Client, Keyring: a.cfg.Keyring},
		got:     make(map[string]*event.Event),
		tried:   make(map[string]bool),
	}
	if missing := g.notHeld(ev.AuthEvents); len(missing) > 0 {
		if err := g.fetchAuthChain(c, ev.ID, missing); err != nil {
			return err
		}
	}
	var prevs []prevState
	for _, p := range ev.PrevEvents {
		if g.stateKnownAt(p) {
			continue
		}
		ps, err := g.fetchStateAt(c, p)
		if err != nil {
			return err
		}
		prevs = append(prevs, ps)
	}
	// The auth events of what was fetched, round after round: without
	// them those events cannot be checked. A server answers /state_ids
	// with the whole auth chain, so this is for one that did not.
	for range maxAuthRounds {
		more := g.notHeld(g.authEventsOfFetched())
		if len(more) > maxEventFetches {
			break
		}
		before := len(g.tried)
		if g.fetch(c, more); len(g.tried) == before {
			break // nothing new to ask for
		}
	}
	outs, err := g.authorise()
	if err != nil {
		return err
	}
	if outs, err = g.attachStates(outs, prevs); err != nil {
		return err
	}
	if err := a.cfg.Rooms.StoreOutliers(c, ev.RoomID, outs); err != nil {
		return fmt.Errorf("%w: storing %d outliers: %w", errStateFetch, len(outs), err)
	}
	return nil
}

// gathering is the events fetched for one PDU that passed checks 1 to 3,
// before check 4 and storage.
type gathering struct {
	a       *API
	origin  string
	roomID  string
	v       version.Spec
	create  *event.Event
	fetcher *federation.EventFetcher
	got     map[string]*event.Event
	tried   map[string]bool // IDs asked for with /event, once each
}

// prevState is a prev_event and the IDs of the state before it, as
// /state_ids gave them.
type prevState struct {
	id    string
	state []string
}

// fetchAuthChain fetches the auth chain of the PDU eventID from origin
// with /event_auth, then any of missing still lacking with /event.
func (g *gathering) fetchAuthChain(ctx context.Context, eventID string, missing []string) error {
	raws, err := g.a.cfg.Client.GetEventAuth(ctx, g.origin, g.roomID, eventID)
	if err != nil {
		g.a.cfg.Log.Info("event_auth failed", zap.String("server", g.origin), zap.String("event_id", eventID), zap.Error(err))
	} else {
		g.add(g.fetcher.CheckEvents(ctx, g.roomID, g.v, g.newOnly(raws)))
	}
	if still := g.notHeld(missing); len(still) > 0 {
		if len(still) > maxEventFetches {
			return fmt.Errorf("%w: %d auth events missing", errStateFetch, len(still))
		}
		g.fetch(ctx, still)
	}
	return nil
}

// fetchStateAt fetches the IDs of the state before prev (/state_ids), then
// the events among them, their auth chain and prev itself that are not
// held: one by one with /event, or all at once with /state when there are
// too many.
func (g *gathering) fetchStateAt(ctx context.Context, prev string) (prevState, error) {
	ids, err := g.a.cfg.Client.GetStateIDs(ctx, g.origin, g.roomID, prev)
	if err != nil {
		return prevState{}, fmt.Errorf("%w: /state_ids at %s from %s: %w", errStateFetch, prev, g.origin, err)
	}
	all := append(append([]string{prev}, ids.PDUIDs...), ids.AuthChainIDs...)
	need := g.notHeld(all)
	if len(need) > maxEventFetches {
		st, err := g.a.cfg.Client.GetState(ctx, g.origin, g.roomID, prev)
		if err != nil {
			return prevState{}, fmt.Errorf("%w: /state at %s from %s: %w", errStateFetch, prev, g.origin, err)
		}
		g.add(g.fetcher.CheckEvents(ctx, g.roomID, g.v, g.newOnly(append(st.PDUs, st.AuthChain...))))
		if need = g.notHeld(need); len(need) > maxEventFetches {
			return prevState{}, fmt.Errorf("%w: %d events of the state at %s still missing", errStateFetch, len(need), prev)
		}
	}
	g.fetch(ctx, need)
	return prevState{id: prev, state: ids.PDUIDs}, nil
}

// fetch gets ids with /event; failures are logged and the events left
// out (whatever needs them then fails).
func (g *gathering) fetch(ctx context.Context, ids []string) {
	fresh := ids[:0:0]
	for _, id := range ids {
		if !g.tried[id] {
			g.tried[id] = true
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return
	}
	g.add(g.fetcher.FetchEvents(ctx, g.origin, g.roomID, g.v, fresh))
}

// newOnly leaves out of a bulk answer the events already fetched or
// stored, so that only new ones cost a signature check.
func (g *gathering) newOnly(raws []json.RawMessage) []json.RawMessage {
	out := raws[:0:0]
	for _, raw := range raws {
		id, err := event.EventIDFor(raw, g.v)
		if err != nil || len(g.notHeld([]string{id})) == 1 {
			out = append(out, raw) // undecodable ones fail in the check, logged
		}
	}
	return out
}

func (g *gathering) add(f federation.Fetched) {
	for id, ev := range f.Events {
		g.got[id] = ev
	}
	for id, err := range f.Failed {
		g.a.cfg.Log.Info("fetched event refused", zap.String("server", g.origin), zap.String("event_id", id), zap.Error(err))
	}
}

// notHeld returns the IDs, without repeats, that were neither fetched nor
// stored.
func (g *gathering) notHeld(ids []string) []string {
	var out []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := g.got[id]; ok {
			continue
		}
		if _, err := g.a.cfg.Store.EventNID(id); errors.Is(err, persistence.ErrNotFound) {
			out = append(out, id)
		}
	}
	return out
}

// stateKnownAt reports a stored event with a known state after it: a
// timeline event, or an outlier stored with its state.
func (g *gathering) stateKnownAt(id string) bool {
	rec, err := g.a.cfg.Store.EventByID(id)
	return err == nil && (!rec.Outlier || rec.StateAfter != 0)
}

func (g *gathering) authEventsOfFetched() []string {
	var out []string
	for _, ev := range g.got {
		out = append(out, ev.AuthEvents...)
	}
	return out
}

// authorise runs check 4 on every fetched event, each after its auth
// events: one that fails is stored as rejected; one whose auth events are
// neither fetched nor stored cannot be checked and is left out, like
// everything citing it.
func (g *gathering) authorise() ([]room.Outlier, error) {
	accepted := make(map[string]bool, len(g.got))
	decided := make(map[string]bool, len(g.got))
	var outs []room.Outlier
	for _, ev := range federation.AuthOrder(g.got) {
		authEvs, ok := g.authEventsOf(ev, accepted, decided)
		if !ok {
			g.a.cfg.Log.Info("fetched event left out: auth events missing", zap.String("server", g.origin), zap.String("event_id", ev.ID))
			continue
		}
		err := federation.CheckAgainstAuthEvents(ev, authEvs, g.create)
		if err != nil {
			g.a.cfg.Log.Info("fetched event rejected", zap.String("server", g.origin), zap.String("event_id", ev.ID), zap.Error(err))
		}
		decided[ev.ID], accepted[ev.ID] = true, err == nil
		outs = append(outs, room.Outlier{Event: ev, Rejected: err != nil})
	}
	return outs, nil
}

// authEventsOf returns the accepted auth events of ev, fetched or stored;
// ok is false when one is neither.
func (g *gathering) authEventsOf(ev *event.Event, accepted, decided map[string]bool) ([]*event.Event, bool) {
	var out []*event.Event
	for _, id := range ev.AuthEvents {
		if decided[id] {
			if accepted[id] {
				out = append(out, g.got[id])
			}
			continue
		}
		if _, fetched := g.got[id]; fetched {
			return nil, false // fetched but left out
		}
		rec, err := g.a.cfg.Store.EventByID(id)
		if err != nil {
			return nil, false
		}
		if rec.Outcome == persistence.OutcomeRejected {
			continue
		}
		a, err := rec.Event()
		if err != nil {
			return nil, false
		}
		out = append(out, a)
	}
	return out, true
}

// attachStates gives each missing prev_event the state before it: the
// prev_event's outlier moves to the end (after every event its state
// names) with StateBefore set; a prev_event stored earlier without a state
// is added again with one.
func (g *gathering) attachStates(outs []room.Outlier, prevs []prevState) ([]room.Outlier, error) {
	for _, p := range prevs {
		index := make(map[string]int, len(outs))
		for i, o := range outs {
			index[o.Event.ID] = i
		}
		st, err := g.stateMap(p.state, outs, index)
		if err != nil {
			return nil, fmt.Errorf("%w: state at %s: %w", errStateFetch, p.id, err)
		}
		i, ok := index[p.id]
		var o room.Outlier
		switch {
		case ok:
			o = outs[i]
			outs = append(outs[:i], outs[i+1:]...)
		default:
			rec, err := g.a.cfg.Store.EventByID(p.id)
			if err != nil {
				return nil, fmt.Errorf("%w: prev event %s: %w", errStateFetch, p.id, err)
			}
			ev, err := rec.Event()
			if err != nil {
				return nil, err
			}
			o = room.Outlier{Event: ev, Rejected: rec.Outcome == persistence.OutcomeRejected}
		}
		o.StateBefore = st
		outs = append(outs, o)
	}
	return outs, nil
}

// stateMap turns state event IDs into a state: events rejected by check 4
// are left out; one that is neither stored nor being stored fails it, as
// does a state without the room's create event.
func (g *gathering) stateMap(ids []string, outs []room.Outlier, index map[string]int) (stateres.StateMap, error) {
	st := make(stateres.StateMap, len(ids))
	for _, id := range ids {
		ev, rejected, err := g.stateEvent(id, outs, index)
		if err != nil {
			return nil, err
		}
		if rejected {
			continue
		}
		if !ev.IsState() {
			return nil, fmt.Errorf("%s is not a state event", id)
		}
		st[ev.Key()] = id
	}
	if st[g.create.Key()] != g.create.ID {
		return nil, errors.New("the state lacks the room's create event")
	}
	return st, nil
}

func (g *gathering) stateEvent(id string, outs []room.Outlier, index map[string]int) (*event.Event, bool, error) {
	if i, ok := index[id]; ok {
		return outs[i].Event, outs[i].Rejected, nil
	}
	rec, err := g.a.cfg.Store.EventByID(id)
	if err != nil {
		return nil, false, fmt.Errorf("state event %s: %w", id, err)
	}
	ev, err := rec.Event()
	return ev, rec.Outcome == persistence.OutcomeRejected, err
}
