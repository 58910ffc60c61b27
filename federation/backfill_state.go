package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// ErrBackfillState reports a state before a backfilled event that could
// not be fetched or that does not hold up: the event's state stays
// unknown.
var ErrBackfillState = errors.New("federation: state before a backfilled event unusable")

// Bounds of FetchStatesBefore.
const (
	// MaxBackfillStates bounds the events of one /backfill answer whose
	// state is fetched; the rest stay without a state.
	MaxBackfillStates = 8
	// maxBackfillStateEvents bounds the events one state may lack and
	// have fetched one by one with /event; beyond, /state serves them in
	// bulk.
	maxBackfillStateEvents = 50
)

// StatesBefore is what FetchStatesBefore obtained.
type StatesBefore struct {
	// Events are the fetched events the states and their auth chains
	// need that are not held yet, each after its own auth events, to be
	// stored as outliers before the states that name them.
	Events []*event.Event
	// States maps each event whose state was obtained to the state
	// before it (slot → event ID).
	States map[string]stateres.StateMap
	// Failed maps each other event asked about to the reason.
	Failed map[string]error
}

// FetchStatesBefore fetches from destination the room state before each
// of at, backfilled events whose prev_events this server does not hold,
// so that the state of the history placed after them can be computed
// forwards, as the room version's model defines it (rooms v1 "the room
// state S(E) before E is the resolution of the set of states after the
// prev_events"): GET /state_ids at the event (server-server-api "Room
// State", which servers answer with the state before the event), then GET
// /event, or /state when many are lacking, for the events not held. Every
// fetched event passes CheckPDU and, in auth order, the auth rules against
// its own auth events; a state that names an event that did not, holds two
// events for one slot, or does not allow the event it is the state before
// (server-server-api "Checks performed on receipt of a PDU", check 5) is
// not used. held finds the accepted events of the room held here.
func FetchStatesBefore(ctx context.Context, client *Client, keys *Keyring, destination, roomID string, v version.Spec,
	create *event.Event, at []*event.Event, held HeldEvent) (StatesBefore, error) {
	out := StatesBefore{States: map[string]stateres.StateMap{}, Failed: map[string]error{}}
	fetcher := &EventFetcher{Client: client, Keyring: keys}
	got := map[string]*event.Event{}
	ids := map[string][]string{}
	lacking := func(list []string) ([]string, error) {
		var need []string
		for _, id := range list {
			if _, ok := got[id]; ok {
				continue
			}
			if _, ok, err := held(id); err != nil {
				return nil, err
			} else if !ok {
				need = append(need, id)
			}
		}
		return need, nil
	}
	for _, ev := range at[:min(len(at), MaxBackfillStates)] {
		res, err := client.GetStateIDs(ctx, destination, roomID, ev.ID)
		if err != nil {
			out.Failed[ev.ID] = fmt.Errorf("%w: /state_ids at %s: %w", ErrBackfillState, ev.ID, err)
			continue
		}
		need, err := lacking(append(append([]string(nil), res.PDUIDs...), res.AuthChainIDs...))
		if err != nil {
			return out, err
		}
		if len(need) > maxBackfillStateEvents {
			st, err := client.GetState(ctx, destination, roomID, ev.ID)
			if err != nil {
				out.Failed[ev.ID] = fmt.Errorf("%w: /state at %s: %w", ErrBackfillState, ev.ID, err)
				continue
			}
			for id, e := range fetcher.CheckEvents(ctx, roomID, v, append(st.PDUs, st.AuthChain...)).Events {
				got[id] = e
			}
			if need, err = lacking(need); err != nil {
				return out, err
			}
		}
		if len(need) > maxBackfillStateEvents {
			out.Failed[ev.ID] = fmt.Errorf("%w: %d events of the state at %s missing", ErrBackfillState, len(need), ev.ID)
			continue
		}
		for id, e := range fetcher.FetchEvents(ctx, destination, roomID, v, need).Events {
			got[id] = e
		}
		ids[ev.ID] = res.PDUIDs
	}
	accepted := make(map[string]*event.Event, len(got))
	for _, e := range AuthOrder(got) {
		if _, ok, err := held(e.ID); err != nil {
			return out, err
		} else if ok {
			continue
		}
		if checkBackfillAuth(e, create, accepted, held) != nil {
			continue
		}
		accepted[e.ID] = e
		out.Events = append(out.Events, e)
	}
	for _, ev := range at {
		list, ok := ids[ev.ID]
		if !ok {
			continue
		}
		st, err := stateOf(ev, list, create, accepted, held)
		if err != nil {
			out.Failed[ev.ID] = err
			continue
		}
		out.States[ev.ID] = st
	}
	return out, ctx.Err()
}

// stateOf builds the state named by ids (a /state_ids answer for ev) from
// accepted and held events, and checks ev against it.
func stateOf(ev *event.Event, ids []string, create *event.Event, accepted map[string]*event.Event, held HeldEvent) (stateres.StateMap, error) {
	st := make(stateres.StateMap, len(ids))
	evs := make(auth.StateMap, len(ids)+1)
	for _, id := range ids {
		e, ok := accepted[id]
		if !ok {
			var err error
			if e, ok, err = held(id); err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: %s names %s, not obtained or not allowed", ErrBackfillState, ev.ID, id)
		}
		if !e.IsState() {
			return nil, fmt.Errorf("%w: %s names %s, not a state event", ErrBackfillState, ev.ID, id)
		}
		k := e.Key()
		if _, dup := st[k]; dup {
			return nil, fmt.Errorf("%w: %s names two events for %s/%s", ErrBackfillState, ev.ID, k.Type, k.StateKey)
		}
		st[k], evs[k] = id, e
	}
	if _, ok := evs[create.Key()]; !ok {
		return nil, fmt.Errorf("%w: the state before %s lacks m.room.create", ErrBackfillState, ev.ID)
	}
	if err := auth.Allowed(ev, evs); err != nil {
		return nil, fmt.Errorf("%w: %s is not allowed by the state before it: %v", ErrBackfillState, ev.ID, err)
	}
	return st, nil
}
