package tests

import (
	"net/url"
	"testing"

	"github.com/axonhs/axon/rooms/event"
)

// memberSender is the sender of member's m.room.member event as viewer's
// server holds it.
func (r *convergeRoom) memberSender(viewer, member string) string {
	r.t.Helper()
	state, err := r.state(viewer)
	if err != nil {
		return ""
	}
	id := state[event.StateKey{Type: event.TypeMember, StateKey: member}]
	if id == "" {
		return ""
	}
	return r.as(viewer, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/event/"+url.PathEscape(id), nil).str("sender")
}

// A kick by B's user and a ban by A's user of C's user take effect on all
// three servers: every server shows the new membership with its sender,
// the kicked user's /sync lists the room as left, and neither the kicked
// nor the banned user can write; only the kicked one can come back.
func TestFederationKickAndBanAcrossServers(t *testing.T) {
	tr := newTrio(t)
	for _, ver := range convergeVersions {
		t.Run("v"+ver, func(t *testing.T) {
			tr.t = t
			r := newConvergeRoom(t, tr, ver, map[string]int{bob: 50})
			room := "/_matrix/client/v3/rooms/" + url.PathEscape(r.roomID)
			since := r.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0", nil).str("next_batch")

			if res := r.as(bob, "POST", room+"/kick", map[string]any{"user_id": carol, "reason": "out"}); res.status != 200 {
				t.Fatalf("bob kicks carol: %d %v", res.status, res.body)
			}
			tr.waitMembership(r.roomID, carol, "leave", alice, bob, carol)
			for _, v := range viewers {
				if s := r.memberSender(v, carol); s != bob {
					t.Errorf("%s shows carol's leave sent by %q, want bob", v, s)
				}
			}
			waitFor(t, func() bool {
				res := r.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0&since="+url.QueryEscape(since), nil)
				rooms, _ := res.body["rooms"].(map[string]any)
				left, _ := rooms["leave"].(map[string]any)
				_, ok := left[r.roomID]
				return ok
			}, "carol's /sync lists the room as left")
			if res := r.as(carol, "PUT", room+"/send/m.room.message/kicked", map[string]any{"msgtype": "m.text", "body": "still here?"}); res.status != 403 {
				t.Errorf("kicked carol sends: %d %v", res.status, res.body)
			}

			// Kicked is not banned: carol comes back through the alias.
			if res := r.as(carol, "POST", room+"/join", map[string]any{}); res.status != 200 {
				t.Fatalf("carol rejoins: %d %v", res.status, res.body)
			}
			tr.waitMembership(r.roomID, carol, "join", alice, bob, carol)

			if res := r.as(alice, "POST", room+"/ban", map[string]any{"user_id": carol, "reason": "gone"}); res.status != 200 {
				t.Fatalf("alice bans carol: %d %v", res.status, res.body)
			}
			tr.waitMembership(r.roomID, carol, "ban", alice, bob, carol)
			for _, v := range viewers {
				if s := r.memberSender(v, carol); s != alice {
					t.Errorf("%s shows carol's ban sent by %q, want alice", v, s)
				}
			}
			if res := r.as(carol, "PUT", room+"/send/m.room.message/banned", map[string]any{"msgtype": "m.text", "body": "let me speak"}); res.status != 403 {
				t.Errorf("banned carol sends: %d %v", res.status, res.body)
			}
			if res := r.as(carol, "POST", room+"/join", map[string]any{}); res.status != 403 {
				t.Errorf("banned carol joins again: %d %v", res.status, res.body)
			}
			r.waitSameState()
		})
	}
}
