package fedtest

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// After a join, peers answer /event for the join and the state they were
// given, /state_ids with that state, and /get_missing_events with nothing;
// unknown events and rooms are 404.
func TestPeersAnswerRoomReads(t *testing.T) {
	hub, err := NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	p, _ := hub.AddPeer("reader.example")
	v, err := version.Lookup("10")
	if err != nil {
		t.Fatal(err)
	}
	sk, user := "", "@u:reader.example"
	create, err := p.BuildEvent(v, event.Proto{RoomID: "!r:reader.example", Type: "m.room.create", StateKey: &sk,
		Sender: user, Content: json.RawMessage(`{"room_version":"10"}`), Depth: 1, OriginServerTS: 1})
	if err != nil {
		t.Fatal(err)
	}
	join, err := p.BuildEvent(v, event.Proto{RoomID: "!r:reader.example", Type: "m.room.member", StateKey: &user,
		Sender: user, Content: json.RawMessage(`{"membership":"join"}`), PrevEvents: []string{create.ID}, AuthEvents: []string{create.ID}, Depth: 2, OriginServerTS: 2})
	if err != nil {
		t.Fatal(err)
	}
	hub.events.learn(join, []json.RawMessage{create.Raw}, []json.RawMessage{create.Raw})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	get := func(method, path string, body []byte) (int, []byte) {
		t.Helper()
		status, raw, err := p.Do(ctx, hub.Addr(), p.Name, method, path, body, "")
		if err != nil {
			t.Fatal(err)
		}
		return status, raw
	}
	for _, id := range []string{create.ID, join.ID} {
		status, raw := get("GET", eventPrefix+url.PathEscape(id), nil)
		var ans struct {
			PDUs []json.RawMessage `json:"pdus"`
		}
		if status != 200 || json.Unmarshal(raw, &ans) != nil || len(ans.PDUs) != 1 {
			t.Fatalf("/event/%s: %d %s", id, status, raw)
		}
		if ev, err := event.Parse(ans.PDUs[0], v); err != nil || ev.ID != id {
			t.Errorf("/event/%s returned another event: %v", id, err)
		}
	}
	status, raw := get("GET", stateIDsPrefix+url.PathEscape("!r:reader.example")+"?event_id="+url.QueryEscape(join.ID), nil)
	var ids struct {
		PDUIDs  []string `json:"pdu_ids"`
		ChainID []string `json:"auth_chain_ids"`
	}
	if status != 200 || json.Unmarshal(raw, &ids) != nil || len(ids.PDUIDs) != 2 || len(ids.ChainID) != 1 || ids.ChainID[0] != create.ID {
		t.Errorf("/state_ids: %d %s", status, raw)
	}
	if status, raw := get("POST", missingPrefix+url.PathEscape("!r:reader.example"), []byte(`{"earliest_events":[],"latest_events":[]}`)); status != 200 || string(raw) != `{"events":[]}` {
		t.Errorf("/get_missing_events: %d %s", status, raw)
	}
	if status, _ := get("GET", eventPrefix+"$unknown", nil); status != 404 {
		t.Errorf("unknown event: %d", status)
	}
	if status, _ := get("GET", stateIDsPrefix+"!other:x", nil); status != 404 {
		t.Errorf("unknown room: %d", status)
	}
}
