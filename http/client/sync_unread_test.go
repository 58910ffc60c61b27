package client

import (
	"slices"
	"testing"

	"github.com/axonhs/axon/persistence"
)

// TestWindowBackwards checks the part of unread counting that reads the
// new events from the sync's own window instead of the room stream: it
// must see exactly the events RoomStreamBackwards would, newest first,
// and only when the window holds every one of them.
func TestWindowBackwards(t *testing.T) {
	raw := []persistence.StoredEvent{{NID: 1, Stream: 11}, {NID: 2, Stream: 14}, {NID: 3, Stream: 15}, {NID: 4, Stream: 19}}
	full := &roomWindow{raw: raw, after: 10, read: true}
	tests := []struct {
		name   string
		w      *roomWindow
		from   uint64
		max    int
		stopAt uint64 // f returns false at this NID
		covers bool
		want   []uint64 // NIDs visited
	}{
		{name: "from the window's start", w: full, from: 10, max: 100, covers: true, want: []uint64{4, 3, 2, 1}},
		{name: "from inside the window", w: full, from: 14, max: 100, covers: true, want: []uint64{4, 3}},
		{name: "from its end", w: full, from: 19, max: 100, covers: true, want: nil},
		{name: "scan bound", w: full, from: 10, max: 2, covers: true, want: []uint64{4, 3}},
		{name: "stopped by f", w: full, from: 10, max: 100, stopAt: 3, covers: true, want: []uint64{4, 3}},
		{name: "before the window", w: full, from: 9, covers: false},
		{name: "limited window", w: &roomWindow{raw: raw, after: 10, read: true, limited: true}, from: 14, covers: false},
		{name: "window that read nothing", w: &roomWindow{after: 10}, from: 14, covers: false},
		{name: "no window", w: nil, from: 14, covers: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.covers(tc.from); got != tc.covers {
				t.Fatalf("covers(%d) = %v, want %v", tc.from, got, tc.covers)
			}
			if !tc.covers {
				return
			}
			var got []uint64
			tc.w.backwards(tc.from, tc.max, func(se persistence.StoredEvent) bool {
				got = append(got, se.NID)
				return se.NID != tc.stopAt
			})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("visited %v, want %v", got, tc.want)
			}
		})
	}
}
