package client

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/axonhs/axon/persistence"
)

func TestFormatClientEvent(t *testing.T) {
	raw := `{"auth_events":["$a"],"content":{"name":"new \"one\""},"depth":7,"hashes":{"sha256":"x"},"origin_server_ts":1000,` +
		`"prev_events":["$p"],"room_id":"!r:hs","sender":"@u:hs","signatures":{"hs":{}},"state_key":"","type":"m.room.name",` +
		`"unsigned":{"redacted_because":{"type":"m.room.redaction"}}}`
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
			"age": float64(500), "redacted_because": map[string]any{"type": "m.room.redaction"},
			"replaces_state": "$old", "prev_content": map[string]any{"name": "old"}, "prev_sender": "@o:hs",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client event\n got %v\nwant %v", got, want)
	}
	// A message event: no state_key, and age never negative.
	msg := persistence.StoredEvent{EventID: "$m", RoomID: "!r:hs", Raw: []byte(`{"content":{},"origin_server_ts":2000,"sender":"@u:hs","type":"m.room.message"}`)}
	mh, _ := decodeEventHeader(msg.Raw)
	out, err = formatClientEvent(msg, mh, 1000, nil, eventHeader{})
	if err != nil || string(out) != `{"content":{},"event_id":"$m","origin_server_ts":2000,"room_id":"!r:hs","sender":"@u:hs","type":"m.room.message","unsigned":{"age":0}}` {
		t.Fatalf("message event: %s %v", out, err)
	}
}
