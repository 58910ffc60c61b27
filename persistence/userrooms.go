package persistence

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/axonhs/axon/rooms/event"
)

// Membership returns userID's current membership of roomID, with
// Membership "leave" and EventNID 0 when the user has never had one.
func (s *Store) Membership(userID, roomID string) (UserMembership, error) {
	m := UserMembership{RoomID: roomID, Membership: event.MembershipLeave}
	if len(userID) > maxKeyComponentBytes || len(roomID) > maxKeyComponentBytes {
		return m, nil
	}
	err := s.getJSON(userRoomKey(userID, roomID), &m)
	if err == ErrNotFound {
		return UserMembership{RoomID: roomID, Membership: event.MembershipLeave}, nil
	}
	m.RoomID = roomID
	return m, err
}

// UserRooms lists the rooms userID has a membership in, with that
// membership; memberships filters them ("join" for /joined_rooms), none
// means all (left rooms included).
func (s *Store) UserRooms(userID string, memberships ...string) ([]UserMembership, error) {
	if len(userID) > maxKeyComponentBytes {
		return nil, nil
	}
	p := userRoomsPrefix(userID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var out []UserMembership
	for ok := it.First(); ok; ok = it.Next() {
		roomID, _, ok := splitComponent(it.Key()[len(p):])
		if !ok {
			return nil, fmt.Errorf("%w: user room key", ErrCorrupt)
		}
		var m UserMembership
		if err := json.Unmarshal(it.Value(), &m); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		m.RoomID = roomID
		if len(memberships) == 0 || contains(memberships, m.Membership) {
			out = append(out, m)
		}
	}
	return out, it.Error()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func membershipOfContent(ev *event.Event) string {
	var c struct {
		Membership string `json:"membership"`
	}
	if json.Unmarshal(ev.Content, &c) != nil || c.Membership == "" {
		return event.MembershipLeave
	}
	return c.Membership
}

// Txn returns the record of a client transaction ID, or ErrNotFound.
func (s *Store) Txn(userID, deviceID, txnID string) (TxnRecord, error) {
	var r TxnRecord
	if len(userID) > maxKeyComponentBytes || len(deviceID) > maxKeyComponentBytes || len(txnID) > maxKeyComponentBytes {
		return r, ErrNotFound
	}
	err := s.getJSON(txnKey(userID, deviceID, txnID), &r)
	return r, err
}
