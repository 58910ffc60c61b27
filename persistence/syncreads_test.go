package persistence

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestRoomsMovedSince: the rooms with events in a range of the global
// stream, the same rooms RoomChangedSince names one by one, and no answer
// when the range holds more events than asked for.
func TestRoomsMovedSince(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	rooms := []string{"!a:x", "!b:x", "!a:x", "!c:x", "!a:x"} // streams 1..5
	for i, r := range rooms {
		b, _ := s.NewRoomBatch()
		b.PutEvent(StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), Depth: int64(i), RoomID: r, EventID: fmt.Sprintf("$e%d", i), RoomVersion: "11", Raw: []byte("{}")})
		mustCommit(t, b)
	}
	tests := []struct {
		after, upTo uint64
		max         int
		want        []string
		complete    bool
	}{
		{after: 0, upTo: 5, max: 10, want: []string{"!a:x", "!b:x", "!c:x"}, complete: true},
		{after: 2, upTo: 4, max: 10, want: []string{"!a:x", "!c:x"}, complete: true},
		{after: 1, upTo: 2, max: 1, want: []string{"!b:x"}, complete: true},
		{after: 5, upTo: 5, max: 10, want: []string{}, complete: true},
		{after: 0, upTo: 5, max: 4, complete: false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("(%d,%d] max %d", tc.after, tc.upTo, tc.max), func(t *testing.T) {
			got, complete, err := s.RoomsMovedSince(tc.after, tc.upTo, tc.max)
			if err != nil || complete != tc.complete {
				t.Fatalf("complete %v, %v; want %v", complete, err, tc.complete)
			}
			if !complete {
				return
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
				t.Fatalf("rooms %v, want %v", keys, tc.want)
			}
			for _, r := range []string{"!a:x", "!b:x", "!c:x"} {
				one, err := s.RoomChangedSince(r, tc.after, tc.upTo)
				if err != nil || one != got[r] {
					t.Fatalf("room %s: RoomChangedSince %v (%v), RoomsMovedSince %v", r, one, err, got[r])
				}
			}
		})
	}
}
