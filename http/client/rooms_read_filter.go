package client

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// errBadFilter reports a filter parameter that is not a RoomEventFilter
// [400 M_INVALID_PARAM].
var errBadFilter = errors.New("client: malformed filter")

// eventFilter is the RoomEventFilter of /messages and /context
// (room_event_filter.yaml), matched with the filter package /sync uses.
type eventFilter struct {
	filter.RoomEventFilter
}

// parseEventFilter reads the filter query parameter, a JSON object ("" is
// no filter).
func parseEventFilter(s string) (eventFilter, error) {
	var f eventFilter
	s = strings.TrimSpace(s)
	if s == "" {
		return f, nil
	}
	if s[0] != '{' {
		return f, errBadFilter
	}
	if err := json.Unmarshal([]byte(s), &f.RoomEventFilter); err != nil {
		return f, errBadFilter
	}
	if f.Limit < 0 {
		return f, errBadFilter
	}
	return f, nil
}

// limit is the filter's own limit, 0 when it sets none.
func (f *eventFilter) limit() int { return f.Limit }

// matches applies the filter to one event; contains_url reads the content
// only when the filter asks.
func (f *eventFilter) matches(roomID string, h eventHeader) bool {
	e := filter.Event{RoomID: roomID, Sender: h.Sender, Type: h.Type}
	if f.ContainsURL != nil {
		e.HasURL = filter.ContainsURL(h.Content)
	}
	return f.Match(e)
}

// lazyMembers returns the member events, in the state before each event,
// of the senders of events (client-server-api "Lazy-loading room
// members"), each member event once.
func (v *roomView) lazyMembers(events []persistence.StoredEvent) ([]persistence.StoredEvent, error) {
	seen := map[uint64]bool{}
	senders := map[string]bool{}
	var out []persistence.StoredEvent
	for _, se := range events {
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		if senders[h.Sender] {
			continue
		}
		senders[h.Sender] = true
		g, err := v.group(se.StateBefore)
		if err != nil {
			return nil, err
		}
		nid, ok := g.state[event.StateKey{Type: event.TypeMember, StateKey: h.Sender}]
		if !ok || seen[nid] {
			continue
		}
		seen[nid] = true
		m, err := v.store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
