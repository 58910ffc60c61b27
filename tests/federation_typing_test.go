package tests

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// typingSync is alice's /sync since (full when ""): the m.typing user IDs
// of the fedRoom, whether it had an m.typing event, and next_batch.
func (r *fedRoom) typingSync(since string) (users []string, present bool, next string) {
	r.t.Helper()
	var sync struct {
		NextBatch string `json:"next_batch"`
		Rooms     struct {
			Join map[string]struct {
				Ephemeral struct {
					Events []struct {
						Type    string `json:"type"`
						Content struct {
							UserIDs []string `json:"user_ids"`
						} `json:"content"`
					} `json:"events"`
				} `json:"ephemeral"`
			} `json:"join"`
		} `json:"rooms"`
	}
	path := "/_matrix/client/v3/sync"
	if since != "" {
		path += "?timeout=5000&since=" + url.QueryEscape(since)
	}
	if st := r.get(path, &sync); st != 200 {
		r.t.Fatalf("sync: %d", st)
	}
	for _, e := range sync.Rooms.Join[r.roomID].Ephemeral.Events {
		if e.Type == "m.typing" {
			users, present = e.Content.UserIDs, true
		}
	}
	return users, present, sync.NextBatch
}

// sendTyping sends m.typing EDUs from peer, one per user ID.
func (r *fedRoom) sendTyping(peer, txnID string, typing bool, userIDs ...string) {
	r.t.Helper()
	var edus []map[string]any
	for _, u := range userIDs {
		edus = append(edus, map[string]any{"edu_type": "m.typing",
			"content": map[string]any{"room_id": r.roomID, "user_id": u, "typing": typing}})
	}
	body, _ := json.Marshal(map[string]any{"origin": peer, "origin_server_ts": 1, "pdus": []any{}, "edus": edus})
	if res := r.sendBody(peer, txnID, body); res.status != 200 {
		r.t.Fatalf("typing transaction %s: %d %s", txnID, res.status, res.raw)
	}
}

// A remote user's m.typing EDU shows in a local member's /sync until the
// remote server says the user stopped; notices for a user of another
// server than the sender's, or for a user not joined to the room, are
// ignored.
func TestFederationInboundTyping(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	bob := "@bob:peer.test"
	r.join("peer.test", bob)

	r.sendTyping("peer.test", "typing-1", true, bob, "@mallory:elsewhere.test", "@carol:peer.test")
	users, _, next := r.typingSync("")
	if !slices.Equal(users, []string{bob}) {
		t.Fatalf("typing users in alice's sync: %q, want [%s]", users, bob)
	}

	r.sendTyping("peer.test", "typing-2", false, bob)
	users, present, _ := r.typingSync(next)
	if !present || len(users) != 0 {
		t.Fatalf("after bob stopped typing: m.typing present %v, users %q; want present and empty", present, users)
	}
}

// An m.typing EDU for a room the sending server has no joined member of
// never reaches /sync.
func TestFederationInboundTypingOutsider(t *testing.T) {
	r := newFedRoom(t, "peer.test", "other.test")
	r.join("peer.test", "@bob:peer.test")

	for i, u := range []string{"@dave:other.test", "@bob:peer.test"} {
		r.sendTyping("other.test", fmt.Sprintf("outsider-%d", i), true, u)
	}
	if users, _, _ := r.typingSync(""); len(users) != 0 {
		t.Fatalf("typing users in alice's sync: %q, want none", users)
	}
}

// A server the room's ACL denies has its typing notices ignored, even for
// a user who joined before the ACL.
func TestFederationInboundTypingACL(t *testing.T) {
	r := newFedRoom(t, "peer.test")
	r.join("peer.test", "@bob:peer.test")
	res := call(t, r.srv, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.server_acl/", r.token,
		map[string]any{"allow": []string{"*"}, "deny": []string{"peer.test"}, "allow_ip_literals": false})
	if res.status != 200 {
		t.Fatalf("setting the ACL: %d %v", res.status, res.body)
	}
	r.sendTyping("peer.test", "acl-1", true, "@bob:peer.test")
	if users, _, _ := r.typingSync(""); len(users) != 0 {
		t.Fatalf("typing users in alice's sync: %q, want none", users)
	}
}
