package client

import (
	"sort"

	"github.com/axonhs/axon/rooms/event"
)

// maxLeftScan bounds the events of one room read to find who left.
const maxLeftScan = 1000

// leftBetween returns, for GET /keys/changes, the users who stopped
// sharing any room with the caller between the from and to sync tokens
// (spec: "Tracking the device list for a user": left lists "users who no
// longer share an encrypted room"): members who left or were banned from
// a room of the caller, and the other members of a room the caller left,
// who now share no room with them. Bare device-list positions carry no
// room position, and give none.
func (a *API) leftBetween(localpart, fromTok, toTok string, shares func(string) bool) ([]string, error) {
	left := []string{}
	from, err1 := parseSyncToken(fromTok)
	to, err2 := parseSyncToken(toTok)
	if err1 != nil || err2 != nil || from.Events >= to.Events {
		return left, nil
	}
	self := a.userID(localpart)
	rooms, err := a.cfg.Store.UserRooms(self)
	if err != nil {
		return nil, err
	}
	candidates := map[string]bool{}
	for _, r := range rooms {
		evs, _, err := a.cfg.Store.RoomStreamTail(r.RoomID, from.Events, to.Events, maxLeftScan)
		if err != nil {
			return nil, err
		}
		for _, se := range evs {
			h, err := decodeEventHeader(se.Raw)
			if err != nil || h.Type != event.TypeMember || h.StateKey == nil {
				continue
			}
			m := contentMembership(h.Content)
			if m != event.MembershipLeave && m != event.MembershipBan {
				continue
			}
			if *h.StateKey != self {
				candidates[*h.StateKey] = true
				continue
			}
			// The caller left: everyone still in the room is a candidate.
			members, err := a.cfg.Store.CurrentStateOfType(r.RoomID, event.TypeMember)
			if err != nil {
				return nil, err
			}
			for k := range members {
				candidates[k.StateKey] = true
			}
		}
	}
	for uid := range candidates {
		if uid != self && !shares(uid) {
			left = append(left, uid)
		}
	}
	sort.Strings(left)
	return left, nil
}
