package tests

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fedGet sends a signed request from peer to the Axon server and decodes
// the answer.
func (r *fedRoom) fedGet(peer, method, uri string, body []byte) (int, map[string]any) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, raw, err := r.peer(peer).Do(ctx, r.srv.FederationAddr(), "hs-a.test", method, uri, body, "")
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, uri, err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Fatalf("%s %s: %d %s", method, uri, status, raw)
	}
	return status, out
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// The room-scoped endpoints answer a server in the room, with history
// visibility and ACLs applied, and refuse servers that are not.
func TestFederationServedEndpoints(t *testing.T) {
	r := newFedRoom(t, "peer.test", "other.test")
	room := url.PathEscape(r.roomID)
	// Before bob's server joins, history is visible to joined members only.
	if res := call(t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+room+"/state/m.room.history_visibility/", r.token,
		map[string]any{"history_visibility": "joined"}); res.status != 200 {
		t.Fatalf("history_visibility: %d %v", res.status, res.body)
	}
	hidden := r.sendMessage("hidden", "before peer.test joined")
	join := r.join("peer.test", "@bob:peer.test")
	shown := r.sendMessage("shown", "after peer.test joined")
	p := "/_matrix/federation/v1"

	if st, body := r.fedGet("peer.test", "GET", p+"/event/"+url.PathEscape(shown), nil); st != 200 || len(body["pdus"].([]any)) != 1 {
		t.Fatalf("/event of a visible event: %d %v", st, body)
	}
	if st, body := r.fedGet("peer.test", "GET", p+"/event/"+url.PathEscape(hidden), nil); st != 404 {
		t.Fatalf("/event of an event from before the server joined (joined visibility): %d %v", st, body)
	}
	st, body := r.fedGet("peer.test", "GET", p+"/state_ids/"+room+"?event_id="+url.QueryEscape(shown), nil)
	if st != 200 || !containsStr(strs(body["pdu_ids"]), join.ID) || !containsStr(strs(body["pdu_ids"]), r.create) {
		t.Fatalf("/state_ids: %d %v", st, body)
	}
	if !containsStr(strs(body["auth_chain_ids"]), r.create) {
		t.Errorf("/state_ids auth chain lacks the create event: %v", body["auth_chain_ids"])
	}
	st, body = r.fedGet("peer.test", "GET", p+"/state/"+room+"?event_id="+url.QueryEscape(shown), nil)
	if st != 200 || len(body["pdus"].([]any)) < 5 {
		t.Fatalf("/state: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/event_auth/"+room+"/"+url.PathEscape(join.ID), nil)
	if chain, _ := body["auth_chain"].([]any); st != 200 || len(chain) < 3 {
		t.Fatalf("/event_auth: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/backfill/"+room+"?v="+url.QueryEscape(shown)+"&limit=3", nil)
	if pdus, _ := body["pdus"].([]any); st != 200 || len(pdus) == 0 || len(pdus) > 3 {
		t.Fatalf("/backfill: %d %v", st, body)
	}
	// Further back, the message from before peer.test joined is served
	// redacted: its place in the graph, not its content.
	st, body = r.fedGet("peer.test", "GET", p+"/backfill/"+room+"?v="+url.QueryEscape(join.ID)+"&limit=5", nil)
	if st != 200 {
		t.Fatalf("/backfill from the join: %d %v", st, body)
	}
	var sawHidden bool
	for _, pdu := range body["pdus"].([]any) {
		ev, _ := pdu.(map[string]any)
		if ev["type"] != "m.room.message" {
			continue
		}
		sawHidden = true
		if content, _ := ev["content"].(map[string]any); len(content) != 0 {
			t.Errorf("/backfill serves a message from before peer.test joined with its content: %v", content)
		}
	}
	if !sawHidden {
		t.Errorf("/backfill from the join left out the hidden message instead of redacting it: %v", body["pdus"])
	}
	gme, _ := json.Marshal(map[string]any{"earliest_events": []string{join.ID}, "latest_events": []string{shown}, "limit": 10})
	st, body = r.fedGet("peer.test", "POST", p+"/get_missing_events/"+room, gme)
	if events, _ := body["events"].([]any); st != 200 || len(events) != 0 {
		// shown's only prev_event is the join, which the requester has.
		t.Fatalf("/get_missing_events: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/timestamp_to_event/"+room+"?dir=b&ts="+strconvI(time.Now().Add(time.Minute).UnixMilli()), nil)
	if st != 200 || body["event_id"] != shown {
		t.Fatalf("/timestamp_to_event: %d %v, want %s", st, body, shown)
	}

	// A server with nobody in the room reads nothing of it.
	if st, body := r.fedGet("other.test", "GET", p+"/state_ids/"+room+"?event_id="+url.QueryEscape(shown), nil); st != 403 {
		t.Fatalf("/state_ids from a server not in the room: %d %v", st, body)
	}
	if st, _ := r.fedGet("other.test", "GET", p+"/event/"+url.PathEscape(shown), nil); st != 404 {
		t.Fatalf("/event from a server not in the room: %d", st)
	}
	// An ACL-denied server neither.
	if res := call(t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+room+"/state/m.room.server_acl/", r.token,
		map[string]any{"allow": []string{"*"}, "deny": []string{"peer.test"}}); res.status != 200 {
		t.Fatalf("ACL: %d %v", res.status, res.body)
	}
	if st, body := r.fedGet("peer.test", "GET", p+"/backfill/"+room+"?v="+url.QueryEscape(shown)+"&limit=3", nil); st != 403 {
		t.Fatalf("/backfill from an ACL-denied server: %d %v", st, body)
	}
}

func strconvI(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Profile, directory, device and key queries and the public room list.
func TestFederationQueries(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	p := "/_matrix/federation/v1"
	if res := call(t, r.srv, "PUT", "/_matrix/client/v3/profile/@alice:hs-a.test/displayname", r.token, map[string]any{"displayname": "Alice"}); res.status != 200 {
		t.Fatalf("displayname: %d %v", res.status, res.body)
	}
	st, body := r.fedGet("peer.test", "GET", p+"/query/profile?user_id="+url.QueryEscape("@alice:hs-a.test"), nil)
	if st != 200 || body["displayname"] != "Alice" {
		t.Fatalf("profile: %d %v", st, body)
	}
	if st, _ := r.fedGet("peer.test", "GET", p+"/query/profile?user_id="+url.QueryEscape("@nobody:hs-a.test"), nil); st != 404 {
		t.Fatalf("profile of an unknown user: %d", st)
	}
	cr := call(t, r.srv, "POST", "/_matrix/client/v3/createRoom", r.token, map[string]any{"preset": "public_chat", "visibility": "public",
		"room_alias_name": "lobby", "name": "The Lobby"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/query/directory?room_alias="+url.QueryEscape("#lobby:hs-a.test"), nil)
	if st != 200 || body["room_id"] != cr.str("room_id") || !containsStr(strs(body["servers"]), "hs-a.test") {
		t.Fatalf("directory: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/publicRooms?limit=10", nil)
	if chunk, _ := body["chunk"].([]any); st != 200 || len(chunk) != 1 {
		t.Fatalf("publicRooms: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "POST", p+"/publicRooms", []byte(`{"filter":{"generic_search_term":"lobby"}}`))
	if chunk, _ := body["chunk"].([]any); st != 200 || len(chunk) != 1 || !strings.Contains(string(mustJSON(chunk[0])), "The Lobby") {
		t.Fatalf("publicRooms search: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "POST", p+"/publicRooms", []byte(`{"filter":{"generic_search_term":"nothing like it"}}`))
	if chunk, _ := body["chunk"].([]any); st != 200 || len(chunk) != 0 {
		t.Fatalf("publicRooms search without match: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "GET", p+"/user/devices/"+url.PathEscape("@alice:hs-a.test"), nil)
	if st != 200 || body["user_id"] != "@alice:hs-a.test" {
		t.Fatalf("user/devices: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "POST", p+"/user/keys/query", []byte(`{"device_keys":{"@alice:hs-a.test":[]}}`))
	if _, ok := body["device_keys"].(map[string]any)["@alice:hs-a.test"]; st != 200 || !ok {
		t.Fatalf("user/keys/query: %d %v", st, body)
	}
	st, body = r.fedGet("peer.test", "POST", p+"/user/keys/claim", []byte(`{"one_time_keys":{"@alice:hs-a.test":{"DEV":"signed_curve25519"}}}`))
	if st != 200 || body["one_time_keys"] == nil {
		t.Fatalf("user/keys/claim: %d %v", st, body)
	}
	if st, body := r.fedGet("peer.test", "POST", p+"/user/keys/query", []byte(`{}`)); st != 400 {
		t.Fatalf("user/keys/query without device_keys: %d %v", st, body)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
