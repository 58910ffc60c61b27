package client

import (
	"strings"
	"sync/atomic"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// Wake-ups of parked /sync requests (client-server-api "Syncing"): every
// stream tells the user actors of the users it concerns that something
// moved, and a woken request reads storage itself. These helpers turn
// "this room" or "this user" into the local users to wake.

// localpart returns the localpart of a user ID of this server.
func (a *API) localpart(userID string) (string, bool) {
	rest, ok := strings.CutPrefix(userID, "@")
	if !ok {
		return "", false
	}
	lp, server, ok := strings.Cut(rest, ":")
	if !ok || server != a.cfg.ServerName {
		return "", false
	}
	return lp, true
}

// WakeCommitted is the room actors' commit hook (actors/room.CommitHook):
// it wakes the local users among userIDs with the batch's stream position.
// It only sends messages, so it never blocks the room actor.
func (a *API) WakeCommitted(_ string, pos uint64, userIDs []string) {
	lps := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		if lp, ok := a.localpart(id); ok {
			lps = append(lps, lp)
			a.noteCommitted(lp, pos)
		}
	}
	a.cfg.Users.Wake(lps, pos)
}

// noteCommitted records the highest event position committed for a user,
// before the wake-up is sent. A request that parks after the wake-up
// reached the user's actor (and was dropped there, with no waiter yet)
// finds the position here: a commit can become visible only after the
// request's last look, when an earlier position of another room was still
// in flight.
func (a *API) noteCommitted(localpart string, pos uint64) {
	v, ok := a.committed.Load(localpart)
	if !ok {
		v, _ = a.committed.LoadOrStore(localpart, new(atomic.Uint64))
	}
	p := v.(*atomic.Uint64)
	for {
		cur := p.Load()
		if pos <= cur || p.CompareAndSwap(cur, pos) {
			return
		}
	}
}

// lastCommitted is the highest event position committed for a user.
func (a *API) lastCommitted(localpart string) uint64 {
	if v, ok := a.committed.Load(localpart); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

// WakeDeviceListChange is the user actors' device-list hook: the users
// who share a room with localpart must hear of the change (spec: "Tracking
// the device list for a user"). The membership reads run in their own
// goroutine, off the user actor.
func (a *API) WakeDeviceListChange(localpart string) {
	a.background(func() { a.wakeSharing(a.userID(localpart)) })
}

// joinedLocal returns the localparts of a room's joined local members.
func (a *API) joinedLocal(roomID string) ([]string, error) {
	st, err := a.cfg.Store.CurrentStateOfType(roomID, event.TypeMember)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, nid := range st {
		lp, ok := a.localpart(k.StateKey)
		if !ok {
			continue
		}
		se, err := a.cfg.Store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		if storedMembership(se) == event.MembershipJoin {
			out = append(out, lp)
		}
	}
	return out, nil
}

// wakeRoom wakes the joined local members of a room (typing, receipts).
func (a *API) wakeRoom(roomID string) {
	lps, err := a.joinedLocal(roomID)
	if err != nil {
		a.log.Warn("sync: reading members to wake", a.errField(err))
		return
	}
	a.cfg.Users.Wake(lps, 0)
}

// wakeSharing wakes userID and every local user joined to a room userID is
// joined to. Its cost is the rooms of one user, paid once per change.
func (a *API) wakeSharing(userID string) {
	rooms, err := a.cfg.Store.UserRooms(userID, event.MembershipJoin)
	if err != nil {
		a.log.Warn("sync: reading rooms to wake", a.errField(err))
		return
	}
	seen := map[string]bool{}
	var lps []string
	if lp, ok := a.localpart(userID); ok {
		seen[lp] = true
		lps = append(lps, lp)
	}
	for _, m := range rooms {
		members, err := a.joinedLocal(m.RoomID)
		if err != nil {
			a.log.Warn("sync: reading members to wake", a.errField(err))
			continue
		}
		for _, lp := range members {
			if !seen[lp] {
				seen[lp] = true
				lps = append(lps, lp)
			}
		}
	}
	a.cfg.Users.Wake(lps, 0)
}

// roomsOf returns the rooms a user is joined to, as a set.
func roomsOf(st *persistence.Store, userID string) (map[string]bool, error) {
	ms, err := st.UserRooms(userID, event.MembershipJoin)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ms))
	for _, m := range ms {
		out[m.RoomID] = true
	}
	return out, nil
}
