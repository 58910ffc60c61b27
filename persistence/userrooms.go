package persistence

import (
	"encoding/binary"
	"encoding/json"
	"errors"
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
	v, err := s.getRaw(userRoomKey(userID, roomID))
	if err == ErrNotFound {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := decodeMembership(v, &m); err != nil {
		return m, err
	}
	m.RoomID = roomID
	return m, nil
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
		if err := decodeMembership(it.Value(), &m); err != nil {
			return nil, err
		}
		m.RoomID = roomID
		if len(memberships) == 0 || contains(memberships, m.Membership) {
			out = append(out, m)
		}
	}
	return out, it.Error()
}

// The membership record under userRoomKey: the version byte
// membershipRecordV1, the event NID and the stream position as uvarints,
// then the membership. A sync reads one per room of the user, so it is
// binary; records written before it are JSON objects (their first byte is
// '{'), and both are read.
const membershipRecordV1 = 1

// errMembershipRecord reports a membership record that does not decode.
var errMembershipRecord = errors.New("persistence: membership record")

// encodeMembership writes a membership record (the room ID is in the key).
func encodeMembership(m UserMembership) []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(m.Membership))
	b = append(b, membershipRecordV1)
	b = binary.AppendUvarint(b, m.EventNID)
	b = binary.AppendUvarint(b, m.Stream)
	return append(b, m.Membership...)
}

// decodeMembership reads a membership record of either form into m,
// leaving m.RoomID alone.
func decodeMembership(v []byte, m *UserMembership) error {
	if len(v) > 0 && v[0] == '{' {
		if err := json.Unmarshal(v, m); err != nil {
			return fmt.Errorf("%w: %w: %v", ErrCorrupt, errMembershipRecord, err)
		}
		return nil
	}
	if len(v) == 0 || v[0] != membershipRecordV1 {
		return fmt.Errorf("%w: %w: unknown form", ErrCorrupt, errMembershipRecord)
	}
	rest := v[1:]
	nid, n := binary.Uvarint(rest)
	if n <= 0 {
		return fmt.Errorf("%w: %w: event NID", ErrCorrupt, errMembershipRecord)
	}
	rest = rest[n:]
	stream, n := binary.Uvarint(rest)
	if n <= 0 {
		return fmt.Errorf("%w: %w: stream position", ErrCorrupt, errMembershipRecord)
	}
	m.EventNID, m.Stream, m.Membership = nid, stream, internMembership(rest[n:])
	return nil
}

// internMembership returns the membership as a string, without an
// allocation for the five the spec defines.
func internMembership(b []byte) string {
	for _, m := range [...]string{event.MembershipJoin, event.MembershipLeave, event.MembershipInvite,
		event.MembershipBan, event.MembershipKnock} {
		if string(b) == m {
			return m
		}
	}
	return string(b)
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
