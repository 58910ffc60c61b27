package persistence

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/axonhs/axon/rooms/event"
)

// TestMembershipRecord: the binary record round-trips, a JSON record of
// an older store still reads, and anything else is ErrCorrupt.
func TestMembershipRecord(t *testing.T) {
	legacy, _ := json.Marshal(UserMembership{Membership: event.MembershipInvite, EventNID: 77, Stream: 1 << 40})
	tests := []struct {
		name    string
		record  []byte
		want    UserMembership
		corrupt bool
	}{
		{name: "binary join", record: encodeMembership(UserMembership{RoomID: "!ignored:x", Membership: event.MembershipJoin, EventNID: 5, Stream: 9}),
			want: UserMembership{Membership: event.MembershipJoin, EventNID: 5, Stream: 9}},
		{name: "binary, large numbers", record: encodeMembership(UserMembership{Membership: event.MembershipBan, EventNID: 1<<64 - 1, Stream: 1 << 63}),
			want: UserMembership{Membership: event.MembershipBan, EventNID: 1<<64 - 1, Stream: 1 << 63}},
		{name: "binary, unknown membership kept", record: encodeMembership(UserMembership{Membership: "xyz", EventNID: 1, Stream: 2}),
			want: UserMembership{Membership: "xyz", EventNID: 1, Stream: 2}},
		{name: "legacy JSON", record: legacy, want: UserMembership{Membership: event.MembershipInvite, EventNID: 77, Stream: 1 << 40}},
		{name: "empty", record: nil, corrupt: true},
		{name: "unknown version", record: []byte{2, 1, 1, 'j'}, corrupt: true},
		{name: "truncated NID", record: []byte{membershipRecordV1, 0x80}, corrupt: true},
		{name: "no stream", record: []byte{membershipRecordV1, 1}, corrupt: true},
		{name: "broken JSON", record: []byte(`{"membership":`), corrupt: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got UserMembership
			err := decodeMembership(tc.record, &got)
			if tc.corrupt {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("decode %x: %v, want ErrCorrupt", tc.record, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("decode %x = %+v, %v; want %+v", tc.record, got, err, tc.want)
			}
		})
	}
}

// TestMembershipReadsBothForms: a store holding a JSON record from before
// the binary form, and a binary one written now, lists both.
func TestMembershipReadsBothForms(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	legacy, _ := json.Marshal(UserMembership{Membership: event.MembershipLeave, EventNID: 3, Stream: 4})
	if err := s.db.Set(userRoomKey("@u:x", "!old:x"), legacy, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(userRoomKey("@u:x", "!new:x"), encodeMembership(UserMembership{Membership: event.MembershipJoin, EventNID: 8, Stream: 9}), nil); err != nil {
		t.Fatal(err)
	}
	all, err := s.UserRooms("@u:x")
	if err != nil || len(all) != 2 {
		t.Fatalf("UserRooms = %+v, %v; want two rooms", all, err)
	}
	joined, err := s.UserRooms("@u:x", event.MembershipJoin)
	if err != nil || len(joined) != 1 || joined[0] != (UserMembership{RoomID: "!new:x", Membership: event.MembershipJoin, EventNID: 8, Stream: 9}) {
		t.Fatalf("joined rooms = %+v, %v", joined, err)
	}
	old, err := s.Membership("@u:x", "!old:x")
	if err != nil || old != (UserMembership{RoomID: "!old:x", Membership: event.MembershipLeave, EventNID: 3, Stream: 4}) {
		t.Fatalf("Membership of the JSON record = %+v, %v", old, err)
	}
	none, err := s.Membership("@u:x", "!never:x")
	if err != nil || none != (UserMembership{RoomID: "!never:x", Membership: event.MembershipLeave}) {
		t.Fatalf("Membership never held = %+v, %v", none, err)
	}
}

// FuzzDecodeMembership: a membership record either decodes or is
// ErrCorrupt, never a panic, and what a binary record decodes to encodes
// and decodes back to the same value.
func FuzzDecodeMembership(f *testing.F) {
	f.Add(encodeMembership(UserMembership{Membership: event.MembershipJoin, EventNID: 1, Stream: 2}))
	f.Add([]byte(`{"membership":"leave","nid":3,"stream":4}`))
	f.Add([]byte{membershipRecordV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 'b', 'a', 'n'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m UserMembership
		if err := decodeMembership(b, &m); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode %x: %v, not ErrCorrupt", b, err)
			}
			return
		}
		var again UserMembership
		if err := decodeMembership(encodeMembership(m), &again); err != nil || again != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}
