package client

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/room"
)

// eventHeader is the part of a stored event the read path looks at; decoding
// only these fields is much cheaper than a full PDU parse.
type eventHeader struct {
	Type           string          `json:"type"`
	StateKey       *string         `json:"state_key"`
	Sender         string          `json:"sender"`
	Content        json.RawMessage `json:"content"`
	OriginServerTS int64           `json:"origin_server_ts"`
}

func decodeEventHeader(raw []byte) (eventHeader, error) {
	var h eventHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: stored event: %v", persistence.ErrCorrupt, err)
	}
	return h, nil
}

func contentVisibility(c json.RawMessage) string {
	return room.VisibilityOf(&event.Event{Content: c})
}

func contentMembership(c json.RawMessage) string {
	return room.MembershipOf(&event.Event{Type: event.TypeMember, Content: c})
}

func storedVisibility(se persistence.StoredEvent) string {
	h, err := decodeEventHeader(se.Raw)
	if err != nil {
		return ""
	}
	return contentVisibility(h.Content)
}

func storedMembership(se persistence.StoredEvent) string {
	h, err := decodeEventHeader(se.Raw)
	if err != nil {
		return event.MembershipLeave
	}
	return contentMembership(h.Content)
}

// pduOnlyFields are the PDU fields a client never sees (client-server-api "Room
// event format": ClientEvent has content, event_id, origin_server_ts,
// room_id, sender, state_key, type and unsigned; redacts stays for the
// room versions that have it at the top level).
var pduOnlyFields = []string{"auth_events", "prev_events", "hashes", "signatures", "depth", "origin", "prev_state", "membership"}

// clientEvent turns a stored event into the client format:
// unsigned.age from now, and, for a state event, unsigned.replaces_state
// and prev_content when prev (the event it replaced) is given. A redacted
// event's Raw already carries unsigned.redacted_because
// (rooms/room.ApplyRedaction).
func formatClientEvent(se persistence.StoredEvent, nowMS int64, prev *persistence.StoredEvent) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(se.Raw, &m); err != nil {
		return nil, fmt.Errorf("%w: stored event %s: %v", persistence.ErrCorrupt, se.EventID, err)
	}
	for _, k := range pduOnlyFields {
		delete(m, k)
	}
	m["event_id"] = rawOf(se.EventID)
	m["room_id"] = rawOf(se.RoomID)
	unsigned := map[string]json.RawMessage{}
	if u, ok := m["unsigned"]; ok && len(bytes.TrimSpace(u)) > 0 && u[0] == '{' {
		_ = json.Unmarshal(u, &unsigned)
	}
	var ts int64
	_ = json.Unmarshal(m["origin_server_ts"], &ts)
	unsigned["age"] = rawOf(max(nowMS-ts, 0))
	if prev != nil {
		unsigned["replaces_state"] = rawOf(prev.EventID)
		if ph, err := decodeEventHeader(prev.Raw); err == nil && len(ph.Content) > 0 {
			unsigned["prev_content"] = ph.Content
			unsigned["prev_sender"] = rawOf(ph.Sender)
		}
	}
	m["unsigned"] = rawOf(unsigned)
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("client event %s: %w", se.EventID, err)
	}
	return out, nil
}

func rawOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("client: marshalling %T: %v", v, err))
	}
	return b
}

// serveEvents formats events for the user; state events get their
// predecessor from the state before them, read through the view's cache.
func (v *roomView) serveEvents(events []persistence.StoredEvent, nowMS int64) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(events))
	for _, se := range events {
		ce, err := v.serveEvent(se, nowMS)
		if err != nil {
			return nil, err
		}
		out = append(out, ce)
	}
	return out, nil
}

func (v *roomView) serveEvent(se persistence.StoredEvent, nowMS int64) (json.RawMessage, error) {
	prev, err := v.replaced(se)
	if err != nil {
		return nil, err
	}
	return formatClientEvent(se, nowMS, prev)
}

// replaced returns the state event se replaced, or nil.
func (v *roomView) replaced(se persistence.StoredEvent) (*persistence.StoredEvent, error) {
	h, err := decodeEventHeader(se.Raw)
	if err != nil || h.StateKey == nil {
		return nil, err
	}
	g, err := v.group(se.StateBefore)
	if err != nil {
		return nil, err
	}
	nid, ok := g.state[event.StateKey{Type: h.Type, StateKey: *h.StateKey}]
	if !ok {
		return nil, nil
	}
	p, err := v.store.EventByNID(nid)
	if err != nil {
		return nil, err
	}
	return &p, nil
}
