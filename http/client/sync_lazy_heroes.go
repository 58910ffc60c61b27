package client

import (
	"encoding/json"

	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// addHeroMembers adds to a lazily loading sync the member events of the
// room summary's heroes (sync.yaml, m.heroes: "When lazy-loading room
// members is enabled, the membership events for the heroes MUST be
// included in the state, unless they are redundant"): those not already
// in the response, and on an incremental sync without a full state those
// the device does not have (sync_lazy.go). They are the heroes' current
// member events, as the heroes are read from the current state.
func (b *syncBuilder) addHeroMembers(v *roomView, w *roomWindow, jr *joinedRoom, full bool) error {
	sf := b.req.f.Room.State
	if !sf.LazyLoadMembers || jr.Summary == nil || len(jr.Summary.Heroes) == 0 {
		return nil
	}
	g, err := v.group(v.info.StateGroup)
	if err != nil {
		return err
	}
	have := map[uint64]bool{}
	for _, se := range w.stateRaw {
		have[se.NID] = true
	}
	if !w.stateAfter {
		for _, se := range w.events {
			have[se.NID] = true // in the timeline
		}
	}
	var add []persistence.StoredEvent
	for _, u := range jr.Summary.Heroes {
		nid, ok := g.state[event.StateKey{Type: event.TypeMember, StateKey: u}]
		if !ok || have[nid] || !full && b.memberSent(v.roomID, u, nid) {
			continue
		}
		se, err := b.event(nid)
		if err != nil {
			return err
		}
		h, err := v.header(se)
		if err != nil {
			return err
		}
		if !sf.Match(filter.Event{RoomID: v.roomID, Sender: h.Sender, Type: h.Type}) {
			continue
		}
		have[nid] = true
		add = append(add, se)
	}
	if len(add) == 0 {
		return nil
	}
	if err := b.recordMembers(v, add, nil); err != nil {
		return err
	}
	served, err := b.serveState(v, add)
	if err != nil {
		return err
	}
	list := &jr.State
	if w.stateAfter {
		list = &jr.StateAfter
	}
	*list = appendList(*list, served)
	return nil
}

// appendList appends events to a response section, making it when absent.
func appendList(l *eventList, events []json.RawMessage) *eventList {
	if l == nil {
		return &eventList{Events: events}
	}
	l.Events = append(l.Events, events...)
	return l
}
