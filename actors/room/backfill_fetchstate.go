package room

import (
	"context"
	"fmt"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/stateres"
	"github.com/axonhs/axon/rooms/version"
)

// BackfillFetchState fetches from server the room state before each of
// at, backfilled events whose prev_events this server does not hold
// (federation.FetchStatesBefore).
type BackfillFetchState func(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, at []*event.Event,
	held func(id string) (*event.Event, bool, error)) (BackfillStates, error)

// BackfillStates is what BackfillFetchState obtained.
type BackfillStates struct {
	// Events are fetched events the states need that are not held, each
	// after its own auth events, all checked.
	Events []*event.Event
	// States maps an event of at to the state before it (slot → ID).
	States map[string]stateres.StateMap
}

// oldestOf lists the accepted events of an answer that begin a stretch:
// one of their prev_events is neither in the answer nor in the timeline,
// so the state before them cannot be computed here. Only events the
// placement will reach from the missing events asked for (from) count,
// so that events on no path to them never use up the fetches.
func (bf *Backfiller) oldestOf(accepted []*event.Event, from []string) ([]*event.Event, error) {
	in := make(map[string]*event.Event, len(accepted))
	for _, ev := range accepted {
		in[ev.ID] = ev
	}
	reach := reachable(in, from)
	var out []*event.Event
	for _, ev := range accepted {
		if !reach[ev.ID] {
			continue
		}
		p := &placement{store: bf.Store, roomID: ev.RoomID}
		for _, prev := range ev.PrevEvents {
			if _, ok := in[prev]; ok {
				continue
			}
			_, ok, err := p.heldStateAfter(prev)
			if err != nil {
				return nil, err
			}
			if !ok {
				out = append(out, ev)
				break
			}
		}
	}
	return out, nil
}

// withStates fetches the state before the events that begin a stretch of
// the answer and stores the events it names that were not held as
// outliers; it returns the states, for PlaceBackfilledAt. An event whose
// state could not be obtained is left without one (and so is not
// placed).
func (bf *Backfiller) withStates(ctx context.Context, server, roomID string, v version.Spec, create *event.Event,
	accepted []*event.Event, from []string) (map[string]stateres.StateMap, error) {
	if bf.FetchState == nil {
		return nil, nil
	}
	at, err := bf.oldestOf(accepted, from)
	if err != nil || len(at) == 0 {
		return nil, err
	}
	got, err := bf.FetchState(ctx, server, roomID, v, create, at, bf.held(roomID))
	if err != nil {
		return nil, err
	}
	outs := make([]Outlier, 0, len(got.Events))
	for _, ev := range got.Events {
		outs = append(outs, Outlier{Event: ev})
	}
	if err := bf.Rooms.StoreOutliers(ctx, roomID, outs); err != nil {
		return nil, fmt.Errorf("storing the state before backfilled events: %w", err)
	}
	return got.States, nil
}
