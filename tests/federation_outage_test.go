package tests

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/stateres"
)

// newRestartableTrio is newTrio keeping each server's configuration, so
// that a server can be stopped and started again on the same data
// directory and federation address.
func newRestartableTrio(t *testing.T) (*trio, map[string]*configs.Config) {
	t.Helper()
	fs := fedConfigs(t, nil, nil, "hs-a.test", "hs-b.test", "hs-c.test")
	tr := &trio{t: t, srv: map[string]*homeserver.Server{}, token: map[string]string{}, servers: map[string]string{}}
	cfgs := map[string]*configs.Config{}
	for i, f := range fs {
		f.srv = startServer(t, f.cfg)
		tr.srv[f.name] = f.srv
		cfgs[f.name] = f.cfg
		user := []string{"alice", "bob", "carol"}[i]
		uid := "@" + user + ":" + f.name
		tr.token[uid] = registerUser(t, f.srv, user, "correct horse battery", nil).str("access_token")
		tr.servers[uid] = f.name
	}
	return tr, cfgs
}

// sayAndWait sends a message as uid and waits until each of the others'
// servers shows it, so that the conversation stays one line of events.
func (r *convergeRoom) sayAndWait(uid, txn, text string, others ...string) string {
	r.t.Helper()
	evID := r.say(uid, r.roomID, txn, text)
	for _, o := range others {
		waitFor(r.t, func() bool {
			res := r.as(o, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/event/"+url.PathEscape(evID), nil)
			return res.status == 200
		}, o+" receives "+text)
	}
	return evID
}

// waitSameHistory polls until every viewer's server shows the same
// /messages (the same event IDs in the same order) and the same current
// state, and returns the history.
func (r *convergeRoom) waitSameHistory(viewers ...string) ([]string, stateres.StateMap) {
	r.t.Helper()
	hist := make([][]string, len(viewers))
	states := make([]stateres.StateMap, len(viewers))
	waitShow(r.t, func() bool {
		for i, u := range viewers {
			hist[i] = r.historyIDs(u)
			s, err := r.state(u)
			if err != nil {
				return false
			}
			states[i] = s
		}
		for i := 1; i < len(viewers); i++ {
			if !slices.Equal(hist[0], hist[i]) || !maps.Equal(states[0], states[i]) {
				return false
			}
		}
		return true
	}, "the same history and state on "+strings.Join(viewers, ", "), func() string {
		var out []string
		for i, u := range viewers {
			out = append(out, fmt.Sprintf("%s: %d events %v", u, len(hist[i]), hist[i]))
			if i > 0 {
				out = append(out, "state "+stateDiff(states[0], states[i], viewers[0], u))
			}
		}
		return strings.Join(out, "\n")
	})
	return hist[0], states[0]
}

// syncTimeline is the event IDs of the room's timeline in uid's
// incremental /sync from since, with a timeline limit large enough for
// the whole gap.
func (r *convergeRoom) syncTimeline(uid, since string) (ids []string, limited bool) {
	r.t.Helper()
	filter := `{"room":{"timeline":{"limit":100}}}`
	res := r.as(uid, "GET", "/_matrix/client/v3/sync?timeout=0&since="+url.QueryEscape(since)+"&filter="+url.QueryEscape(filter), nil)
	if res.status != 200 {
		r.t.Fatalf("%s /sync: %d %v", uid, res.status, res.body)
	}
	rooms, _ := res.body["rooms"].(map[string]any)
	join, _ := rooms["join"].(map[string]any)
	room, _ := join[r.roomID].(map[string]any)
	tl, _ := room["timeline"].(map[string]any)
	evs, _ := tl["events"].([]any)
	for _, e := range evs {
		ev, _ := e.(map[string]any)
		if s, ok := ev["event_id"].(string); ok {
			ids = append(ids, s)
		}
	}
	limited, _ = tl["limited"].(bool)
	return ids, limited
}

// C stops cleanly while A and B keep talking and change the room's state;
// C starts again on the same data and address and catches up: every
// server shows the same history and state, and C's user gets the missed
// messages in /sync.
func TestFederationOutageCatchUp(t *testing.T) {
	for _, ver := range convergeVersions {
		t.Run("v"+ver, func(t *testing.T) {
			tr, cfgs := newRestartableTrio(t)
			r := newConvergeRoom(t, tr, ver, nil)
			r.sayAndWait(alice, "before-a", "before the outage (A)", bob, carol)
			r.sayAndWait(carol, "before-c", "before the outage (C)", alice, bob)
			r.waitSameHistory(alice, bob, carol)
			since := r.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0", nil).str("next_batch")

			stopServer(t, tr.srv["hs-c.test"])

			var missed []string
			for i := range 3 {
				missed = append(missed, r.sayAndWait(alice, fmt.Sprintf("out-a%d", i), fmt.Sprintf("while C is down: alice %d", i), bob))
				missed = append(missed, r.sayAndWait(bob, fmt.Sprintf("out-b%d", i), fmt.Sprintf("while C is down: bob %d", i), alice))
			}
			if res := r.as(alice, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.topic/", map[string]any{"topic": "changed while C was down"}); res.status != 200 {
				t.Fatalf("topic: %d %v", res.status, res.body)
			} else {
				topic := res.str("event_id")
				missed = append(missed, topic)
				waitFor(t, func() bool {
					got := r.as(bob, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/event/"+url.PathEscape(topic), nil)
					return got.status == 200
				}, "bob receives the topic")
			}
			missed = append(missed, r.sayAndWait(bob, "out-last", "the last word while C is down", alice))
			r.waitSameHistory(alice, bob)

			tr.srv["hs-c.test"] = startServer(t, cfgs["hs-c.test"])
			hist, state := r.waitSameHistory(alice, bob, carol)
			for _, evID := range missed {
				if !slices.Contains(hist, evID) {
					t.Errorf("the agreed history lacks %s, sent while C was down", evID)
				}
			}
			if r.slot(state, "m.room.topic", "")["topic"] != "changed while C was down" {
				t.Errorf("the agreed state has topic %v", r.slot(state, "m.room.topic", ""))
			}

			// C's user sees what was said while C was down.
			waitShow(t, func() bool {
				got, _ := r.syncTimeline(carol, since)
				for _, evID := range missed {
					if !slices.Contains(got, evID) {
						return false
					}
				}
				return true
			}, "carol's /sync shows the messages sent while C was down", func() string {
				got, limited := r.syncTimeline(carol, since)
				return fmt.Sprintf("timeline %v (limited %v), missed %v", got, limited, missed)
			})

			// And C takes part again: its next message reaches A and B.
			r.sayAndWait(carol, "after", "C is back", alice, bob)
		})
	}
}
