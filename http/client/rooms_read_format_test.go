package client

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/axonhs/axon/persistence"
)

func TestFormatClientEvent(t *testing.T) {
	raw := `{"auth_events":["$a"],"content":{"name":"new \"one\""},"depth":7,"hashes":{"sha256":"x"},"origin_server_ts":1000,` +
		`"prev_events":["$p"],"room_id":"!r:hs","sender":"@u:hs","signatures":{"hs":{}},"state_key":"","type":"m.room.name",` +
		`"unsigned":{"custom":1}}`
	se := persistence.StoredEvent{NID: 1, EventID: "$e", RoomID: "!r:hs", Raw: []byte(raw)}
	prevRaw := `{"content":{"name":"old"},"sender":"@o:hs","type":"m.room.name","state_key":""}`
	prev := persistence.StoredEvent{NID: 2, EventID: "$old", RoomID: "!r:hs", Raw: []byte(prevRaw)}
	h, err := decodeEventHeader(se.Raw)
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := decodeEventHeader(prev.Raw)
	out, err := formatClientEvent(se, h, 1500, &prev, ph)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("not JSON: %s", out)
	}
	want := map[string]any{
		"content": map[string]any{"name": `new "one"`}, "event_id": "$e", "origin_server_ts": float64(1000),
		"room_id": "!r:hs", "sender": "@u:hs", "state_key": "", "type": "m.room.name",
		"unsigned": map[string]any{
			"age": float64(500), "custom": float64(1),
			"replaces_state": "$old", "prev_content": map[string]any{"name": "old"}, "prev_sender": "@o:hs",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client event\n got %v\nwant %v", got, want)
	}
	// A redaction that does not parse as a PDU of the room's version is a
	// corrupt record, not a half-formatted event.
	bad := persistence.StoredEvent{EventID: "$r", RoomID: "!r:hs", RoomVersion: "11",
		Raw: []byte(`{"content":{},"origin_server_ts":1,"sender":"@u:hs","type":"m.room.message","unsigned":{"redacted_because":{"type":"m.room.redaction"}}}`)}
	bh, _ := decodeEventHeader(bad.Raw)
	if _, err := formatClientEvent(bad, bh, 1, nil, eventHeader{}); !errors.Is(err, persistence.ErrCorrupt) {
		t.Fatalf("malformed redacted_because: %v", err)
	}
	// A message event: no state_key, and age never negative.
	msg := persistence.StoredEvent{EventID: "$m", RoomID: "!r:hs", Raw: []byte(`{"content":{},"origin_server_ts":2000,"sender":"@u:hs","type":"m.room.message"}`)}
	mh, _ := decodeEventHeader(msg.Raw)
	out, err = formatClientEvent(msg, mh, 1000, nil, eventHeader{})
	if err != nil || string(out) != `{"content":{},"event_id":"$m","origin_server_ts":2000,"room_id":"!r:hs","sender":"@u:hs","type":"m.room.message","unsigned":{"age":0}}` {
		t.Fatalf("message event: %s %v", out, err)
	}
}

func TestMessagesBody(t *testing.T) {
	chunk := []json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`{"b":"\u00e9"}`)}
	for _, tc := range []struct {
		start, end string
		state      []json.RawMessage
		withState  bool
		want       string
	}{
		{"t1_2", "t0_1", nil, false, `{"chunk":[{"a":1},{"b":"\u00e9"}],"end":"t0_1","start":"t1_2"}`},
		{"s\"x", "", nil, true, `{"chunk":[{"a":1},{"b":"\u00e9"}],"start":"s\"x","state":[]}`},
		{"t1_2", "", chunk[:1], true, `{"chunk":[{"a":1},{"b":"\u00e9"}],"start":"t1_2","state":[{"a":1}]}`},
	} {
		got := messagesBody(tc.start, tc.end, chunk, tc.state, tc.withState)
		if string(got) != tc.want || !json.Valid(got) {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
	if got := messagesBody("t0_0", "", nil, nil, false); string(got) != `{"chunk":[],"start":"t0_0"}` {
		t.Errorf("empty page: %s", got)
	}
}
