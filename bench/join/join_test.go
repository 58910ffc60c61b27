package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

func testWorld(t *testing.T, ver string, members int, forge func(*room, *fedtest.Peer) (map[string]json.RawMessage, error)) *world {
	t.Helper()
	v, err := version.Lookup(version.ID(ver))
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(v, members, "", forge)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}

// stateIDs is the room's current state on a as the joined user reads it
// (GET /rooms/{roomId}/state), as event IDs.
func stateIDs(c *mx.Client, token, roomID string) ([]string, error) {
	var state []struct {
		EventID string `json:"event_id"`
	}
	if err := c.Do("GET", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/state", token, nil, &state); err != nil {
		return nil, err
	}
	ids := make([]string, len(state))
	for i, e := range state {
		ids[i] = e.EventID
	}
	slices.Sort(ids)
	return ids, nil
}

// A generated room joined through its resident: Axon's state of the room
// is the resident's state plus the join, and the answer was checked whole.
func TestJoinGeneratedRoom(t *testing.T) {
	for _, ver := range []string{"10", "11", "12"} {
		t.Run("v"+ver, func(t *testing.T) {
			w := testWorld(t, ver, 25, nil)
			err := w.withAxon(func(a *axon, c *mx.Client, token string) error {
				s, err := join(a, c, token, w.room)
				if err != nil {
					return err
				}
				if s.StateEvents != len(w.room.state) || s.AuthChainEvents != len(w.room.chain) {
					return fmt.Errorf("timings count %d state and %d auth-chain events, the resident sent %d and %d",
						s.StateEvents, s.AuthChainEvents, len(w.room.state), len(w.room.chain))
				}
				got, err := stateIDs(c, token, w.room.id)
				if err != nil {
					return err
				}
				var want []string
				for _, ev := range w.room.state {
					want = append(want, ev.ID)
				}
				var joinID []string
				for _, id := range got {
					if !slices.Contains(want, id) {
						joinID = append(joinID, id)
					}
				}
				if len(got) != len(want)+1 || len(joinID) != 1 {
					return fmt.Errorf("Axon's state has %d events (%d not the resident's), want the resident's %d and the join", len(got), len(joinID), len(want))
				}
				var member struct {
					Membership string `json:"membership"`
				}
				if err := c.Do("GET", "/_matrix/client/v3/rooms/"+url.PathEscape(w.room.id)+"/state/m.room.member/"+url.PathEscape("@joiner:"+axonName), token, nil, &member); err != nil {
					return err
				}
				if member.Membership != "join" {
					return fmt.Errorf("the joiner's membership is %q", member.Membership)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// forgeDeep replaces the resident's signature on an invite in the middle
// of the auth chain with one made by another key under the same key ID.
func forgeDeep(r *room, p *fedtest.Peer) (map[string]json.RawMessage, error) {
	target := r.chain[len(r.chain)/2]
	liar, err := signing.KeyFromSeed(p.Key.ID, make([]byte, 32))
	if err != nil {
		return nil, err
	}
	raw, err := signing.SignJSON(target.Raw, p.Name, liar)
	if err != nil {
		return nil, err
	}
	if string(raw) == string(target.Raw) {
		return nil, errors.New("forging changed nothing")
	}
	return map[string]json.RawMessage{target.ID: raw}, nil
}

// A resident whose answer carries one forged signature deep in the auth
// chain is refused: the client's join fails, and Axon holds nothing of
// the room.
func TestJoinRefusesForgedAuthChain(t *testing.T) {
	w := testWorld(t, "12", 25, forgeDeep)
	err := w.withAxon(func(a *axon, c *mx.Client, token string) error {
		_, err := join(a, c, token, w.room)
		var me *mx.Error
		if !errors.As(err, &me) {
			return fmt.Errorf("join answered %v, want a Matrix error", err)
		}
		refused := a.logs.FilterMessage("send_join answer refused").All()
		if len(refused) != 1 || !strings.Contains(fmt.Sprint(refused[0].ContextMap()["error"]), "signature") {
			return fmt.Errorf("log of refusals: %v", refused)
		}
		if _, err := stateIDs(c, token, w.room.id); !errors.As(err, &me) {
			return fmt.Errorf("the room's state after a refused join: %v, want a Matrix error", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
