package tests

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

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

// While C is down, A and B change the power levels and the join rule at
// the same moment, differently. When C comes back it ends with the state
// A and B agreed on, the one state resolution gives for the room.
func TestFederationOutageConflictWhileDown(t *testing.T) {
	for _, ver := range convergeVersions {
		t.Run("v"+ver, func(t *testing.T) {
			tr, cfgs := newRestartableTrio(t)
			levels := map[string]int{bob: 100, carol: 100}
			r := newConvergeRoom(t, tr, ver, levels)
			stopServer(t, tr.srv["hs-c.test"])

			errs := race(
				func() error {
					pl, err := r.powerLevelsOf(alice, levels, map[string]any{"ban": 60})
					if err == nil {
						_, err = r.setState(alice, "m.room.power_levels", "", pl)
					}
					if err == nil {
						_, err = r.setState(alice, "m.room.join_rules", "", map[string]any{"join_rule": "invite"})
					}
					return err
				},
				func() error {
					pl, err := r.powerLevelsOf(bob, levels, map[string]any{"kick": 70})
					if err == nil {
						_, err = r.setState(bob, "m.room.power_levels", "", pl)
					}
					if err == nil {
						_, err = r.setState(bob, "m.room.join_rules", "", map[string]any{"join_rule": "knock"})
					}
					return err
				},
			)
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			r.waitSameStateOn(alice, bob)

			tr.srv["hs-c.test"] = startServer(t, cfgs["hs-c.test"])
			agreed := r.waitSameState()
			r.checkResolved(agreed)
		})
	}
}

// A and B go down while C's user talks and changes the topic; C goes down
// too before it could deliver anything. A and B come back and talk among
// themselves; then C comes back. C's outbox, kept across its restart,
// delivers what it wrote, the others' outboxes deliver theirs, and all
// three show every event and the same state.
func TestFederationOutageSenderRestarts(t *testing.T) {
	tr, cfgs := newRestartableTrio(t)
	r := newConvergeRoom(t, tr, "12", map[string]int{carol: 50})
	r.sayAndWait(alice, "before", "before the outages", bob, carol)

	stopServer(t, tr.srv["hs-a.test"])
	stopServer(t, tr.srv["hs-b.test"])
	var fromC []string
	for i := range 3 {
		fromC = append(fromC, r.say(carol, r.roomID, fmt.Sprintf("alone%d", i), fmt.Sprintf("carol alone %d", i)))
	}
	if res := r.as(carol, "PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.topic/", map[string]any{"topic": "set by carol alone"}); res.status != 200 {
		t.Fatalf("topic: %d %v", res.status, res.body)
	} else {
		fromC = append(fromC, res.str("event_id"))
	}
	stopServer(t, tr.srv["hs-c.test"])

	tr.srv["hs-a.test"] = startServer(t, cfgs["hs-a.test"])
	tr.srv["hs-b.test"] = startServer(t, cfgs["hs-b.test"])
	var fromAB []string
	for i := range 2 {
		fromAB = append(fromAB, r.sayAndWait(alice, fmt.Sprintf("ab-a%d", i), fmt.Sprintf("alice without carol %d", i), bob))
		fromAB = append(fromAB, r.sayAndWait(bob, fmt.Sprintf("ab-b%d", i), fmt.Sprintf("bob without carol %d", i), alice))
	}

	tr.srv["hs-c.test"] = startServer(t, cfgs["hs-c.test"])
	want := append(slices.Clone(fromC), fromAB...)
	waitShow(t, func() bool {
		for _, u := range viewers {
			h := r.historyIDs(u)
			for _, evID := range want {
				if !slices.Contains(h, evID) {
					return false
				}
			}
		}
		return true
	}, "every server shows every event of both sides", func() string {
		var out []string
		for _, u := range viewers {
			out = append(out, fmt.Sprintf("%s: %v", u, r.historyIDs(u)))
		}
		return fmt.Sprintf("want %v; %s; outbound A %+v B %+v C %+v", want, strings.Join(out, "; "),
			tr.srv["hs-a.test"].Servers().Stats(), tr.srv["hs-b.test"].Servers().Stats(), tr.srv["hs-c.test"].Servers().Stats())
	})
	agreed := r.waitSameState()
	r.checkResolved(agreed)
	if r.slot(agreed, "m.room.topic", "")["topic"] != "set by carol alone" {
		t.Errorf("agreed topic %v", r.slot(agreed, "m.room.topic", ""))
	}
	// The same events, each side's in the order it wrote them.
	for _, u := range viewers {
		h := r.historyIDs(u)
		for _, side := range [][]string{fromC, fromAB} {
			var seen []string
			for _, evID := range h {
				if slices.Contains(side, evID) {
					seen = append(seen, evID)
				}
			}
			if !slices.Equal(seen, side) {
				t.Errorf("%s shows %v, written in the order %v", u, seen, side)
			}
		}
	}
}

// C's only user is kicked while C is down, after a conversation C missed.
// When C comes back it learns of the kick although it is no longer in the
// room (the kick reaches it, and the events before it are fetched from the
// others): C's user sees the room as left, and C's state agrees with A's
// and B's up to the kick.
func TestFederationOutageKickedWhileDown(t *testing.T) {
	tr, cfgs := newRestartableTrio(t)
	r := newConvergeRoom(t, tr, "12", map[string]int{bob: 50})
	r.sayAndWait(alice, "before", "before the outage", bob, carol)
	since := r.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0", nil).str("next_batch")
	stopServer(t, tr.srv["hs-c.test"])

	var lastAlice string
	for i := range 3 {
		lastAlice = r.sayAndWait(alice, fmt.Sprintf("gap-a%d", i), fmt.Sprintf("missed by C: alice %d", i), bob)
		r.sayAndWait(bob, fmt.Sprintf("gap-b%d", i), fmt.Sprintf("missed by C: bob %d", i), alice)
	}
	res := r.as(bob, "POST", "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/kick", map[string]any{"user_id": carol})
	if res.status != 200 {
		t.Fatalf("bob kicks carol: %d %v", res.status, res.body)
	}
	tr.waitMembership(r.roomID, carol, "leave", alice, bob)
	afterKick := r.sayAndWait(alice, "after-kick", "after carol's kick", bob)

	tr.srv["hs-c.test"] = startServer(t, cfgs["hs-c.test"])
	tr.waitMembership(r.roomID, carol, "leave", carol)
	// C, out of the room, may read what its user could see while joined,
	// and nothing after the kick.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got map[string]any
	if err := tr.srv["hs-c.test"].FederationClient().Get(ctx, "hs-a.test", "/_matrix/federation/v1/event/"+url.PathEscape(lastAlice), &got); err != nil {
		t.Errorf("C fetching a message from before the kick: %v", err)
	}
	if err := tr.srv["hs-c.test"].FederationClient().Get(ctx, "hs-a.test", "/_matrix/federation/v1/event/"+url.PathEscape(afterKick), &got); err == nil {
		t.Errorf("C fetched a message sent after its user was kicked")
	}
	waitFor(t, func() bool {
		res := r.as(carol, "GET", "/_matrix/client/v3/sync?timeout=0&since="+url.QueryEscape(since), nil)
		rooms, _ := res.body["rooms"].(map[string]any)
		left, _ := rooms["leave"].(map[string]any)
		_, ok := left[r.roomID]
		return ok
	}, "carol's /sync lists the room as left")
	r.waitSameState()
}
