package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// eventHeader is the part of a stored event the read path looks at, with
// the fields the client format copies kept raw; decoding only these fields
// is much cheaper than a full PDU parse.
type eventHeader struct {
	Type           string          `json:"type"`
	StateKey       *string         `json:"state_key"`
	Sender         string          `json:"sender"`
	Content        json.RawMessage `json:"content"`
	OriginServerTS int64           `json:"origin_server_ts"`
	Unsigned       json.RawMessage `json:"unsigned"`
	Redacts        json.RawMessage `json:"redacts"`
}

func decodeEventHeader(raw []byte) (eventHeader, error) {
	var h eventHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: stored event: %v", persistence.ErrCorrupt, err)
	}
	return h, nil
}

// header decodes a stored event once per request.
func (v *roomView) header(se persistence.StoredEvent) (eventHeader, error) {
	if h, ok := v.headers[se.NID]; ok {
		return h, nil
	}
	h, err := cachedEventHeader(v.store, se)
	if err != nil {
		return h, err
	}
	if v.headers == nil {
		v.headers = map[uint64]eventHeader{}
	}
	v.headers[se.NID] = h
	return h, nil
}

func contentVisibility(c json.RawMessage) string {
	return room.VisibilityOf(&event.Event{Content: c})
}

func contentMembership(c json.RawMessage) string {
	return room.MembershipOf(&event.Event{Type: event.TypeMember, Content: c})
}

func storedVisibility(se persistence.StoredEvent) string {
	return storedContentFact(se, factVisibility, func(h eventHeader, err error) string {
		if err != nil {
			return ""
		}
		return contentVisibility(h.Content)
	})
}

func storedMembership(se persistence.StoredEvent) string {
	return storedContentFact(se, factMembership, func(h eventHeader, err error) string {
		if err != nil {
			return event.MembershipLeave
		}
		return contentMembership(h.Content)
	})
}

// formatClientEvent writes a stored event in the client format
// (client-server-api "Room event format": ClientEvent has content,
// event_id, origin_server_ts, room_id, sender, state_key, type and unsigned;
// redacts stays for the room versions that have it at the top level). It
// adds unsigned.age from now and, for a state event, unsigned.replaces_state,
// prev_content and prev_sender when prev (the event it replaced) is given.
// A redacted event's Raw already carries unsigned.redacted_because
// (rooms/room.ApplyRedaction), which is kept.
func formatClientEvent(se persistence.StoredEvent, h eventHeader, nowMS int64, prev *persistence.StoredEvent, ph eventHeader) (json.RawMessage, error) {
	return formatClientEventTxn(se, h, nowMS, prev, ph, "")
}

// formatClientEventTxn is formatClientEvent with unsigned.transaction_id
// set to txnID when it is not empty.
func formatClientEventTxn(se persistence.StoredEvent, h eventHeader, nowMS int64, prev *persistence.StoredEvent, ph eventHeader, txnID string) (json.RawMessage, error) {
	content := h.Content
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	b := make([]byte, 0, len(se.Raw)+128)
	b = append(b, `{"content":`...)
	b = append(b, content...)
	b = append(b, `,"event_id":`...)
	b = append(b, rawOf(se.EventID)...)
	b = append(b, `,"origin_server_ts":`...)
	b = strconv.AppendInt(b, h.OriginServerTS, 10)
	b = append(b, `,"room_id":`...)
	b = append(b, rawOf(se.RoomID)...)
	b = append(b, `,"sender":`...)
	b = append(b, rawOf(h.Sender)...)
	if h.StateKey != nil {
		b = append(b, `,"state_key":`...)
		b = append(b, rawOf(*h.StateKey)...)
	}
	b = append(b, `,"type":`...)
	b = append(b, rawOf(h.Type)...)
	if len(h.Redacts) > 0 {
		b = append(b, `,"redacts":`...)
		b = append(b, h.Redacts...)
	}
	unsigned := map[string]json.RawMessage{}
	if u := bytes.TrimSpace(h.Unsigned); len(u) > 0 && u[0] == '{' {
		if err := json.Unmarshal(u, &unsigned); err != nil {
			return nil, fmt.Errorf("%w: unsigned of %s: %v", persistence.ErrCorrupt, se.EventID, err)
		}
	}
	if rb, ok := unsigned["redacted_because"]; ok {
		ce, err := clientRedaction(se, rb, nowMS)
		if err != nil {
			return nil, err
		}
		unsigned["redacted_because"] = ce
	}
	unsigned["age"] = rawOf(max(nowMS-h.OriginServerTS, 0))
	if txnID != "" {
		unsigned["transaction_id"] = rawOf(txnID)
	}
	if prev != nil {
		unsigned["replaces_state"] = rawOf(prev.EventID)
		if len(ph.Content) > 0 {
			unsigned["prev_content"] = ph.Content
			unsigned["prev_sender"] = rawOf(ph.Sender)
		}
	}
	b = append(b, `,"unsigned":`...)
	b = append(b, rawOf(unsigned)...)
	return append(b, '}'), nil
}

// clientRedaction turns the redaction PDU that rooms/room.ApplyRedaction
// stored under unsigned.redacted_because into the client format, with the
// event ID its room version derives (room versions 3 and later carry none
// in the PDU).
func clientRedaction(target persistence.StoredEvent, pdu json.RawMessage, nowMS int64) (json.RawMessage, error) {
	v, err := version.Lookup(version.ID(target.RoomVersion))
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", persistence.ErrCorrupt, target.EventID, err)
	}
	ev, err := event.Parse(pdu, v)
	if err != nil {
		return nil, fmt.Errorf("%w: redaction of %s: %v", persistence.ErrCorrupt, target.EventID, err)
	}
	h, err := decodeEventHeader(pdu)
	if err != nil {
		return nil, err
	}
	return formatClientEvent(persistence.StoredEvent{EventID: ev.ID, RoomID: target.RoomID, Raw: pdu}, h, nowMS, nil, eventHeader{})
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
	h, err := v.header(se)
	if err != nil {
		return nil, err
	}
	txnID, err := v.transactionID(se, h)
	if err != nil {
		return nil, err
	}
	prev, err := v.replaced(se, h)
	if err != nil || prev == nil {
		if err != nil {
			return nil, err
		}
		return formatClientEventTxn(se, h, nowMS, nil, eventHeader{}, txnID)
	}
	ph, err := v.header(*prev)
	if err != nil {
		return nil, err
	}
	return formatClientEventTxn(se, h, nowMS, prev, ph, txnID)
}

// servedTo sets the device the view serves events to, so that the events
// that device sent carry unsigned.transaction_id (client-server-api
// "Transaction identifiers"). /sync calls it with the syncing device.
func (v *roomView) servedTo(deviceID string) *roomView {
	v.deviceID = deviceID
	return v
}

// transactionID is the unsigned.transaction_id of se for the view's device:
// only the user's own events are looked up.
func (v *roomView) transactionID(se persistence.StoredEvent, h eventHeader) (string, error) {
	if v.deviceID == "" || h.Sender != v.userID {
		return "", nil
	}
	return v.store.TransactionIDFor(se.NID, v.userID, v.deviceID)
}

// replaced returns the state event se replaced, or nil.
func (v *roomView) replaced(se persistence.StoredEvent, h eventHeader) (*persistence.StoredEvent, error) {
	if h.StateKey == nil {
		return nil, nil
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
