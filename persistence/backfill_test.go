package persistence

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A backfilled event takes its place in the topological order, below the
// events already there, and /messages pages find it; the room's stream,
// which /sync reads, never does. An outlier is not in the timeline until
// PutBackfilled gives it its place under its own NID. The stream counter
// does not hand a backfilled event's position out again after a reopen.
func TestPutBackfilled(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	b, _ := s.NewRoomBatch()
	join := StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), Depth: 10, RoomID: "!r:x", EventID: "$join", RoomVersion: "11", Raw: []byte("{}")}
	b.PutEvent(join)
	outlier := StoredEvent{NID: b.NextNID(), Depth: 1, RoomID: "!r:x", EventID: "$create", RoomVersion: "11", Raw: []byte("{}")}
	b.PutOutlier(outlier)
	mustCommit(t, b)
	if in, err := s.InTimeline(join); err != nil || !in {
		t.Fatalf("join in timeline: %v %v", in, err)
	}
	if in, err := s.InTimeline(outlier); err != nil || in {
		t.Fatalf("outlier in timeline: %v %v", in, err)
	}

	b, _ = s.NewRoomBatch()
	var msgs []StoredEvent
	for i := range 3 {
		m := StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), Depth: int64(9 - i), RoomID: "!r:x", EventID: fmt.Sprintf("$m%d", i), RoomVersion: "11", Raw: []byte("{}")}
		b.PutBackfilled(m)
		msgs = append(msgs, m)
	}
	outlier.Stream = b.NextStream()
	b.PutBackfilled(outlier)
	mustCommit(t, b)

	end, _ := s.RoomEnd("!r:x")
	page, _, err := s.RoomEvents("!r:x", end, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range page {
		ids = append(ids, e.EventID)
	}
	if fmt.Sprint(ids) != "[$join $m0 $m1 $m2 $create]" {
		t.Fatalf("backwards page %v", ids)
	}
	if got, _ := s.EventByID("$create"); got.NID != outlier.NID || got.Outlier {
		t.Fatalf("the outlier after backfill: %+v", got)
	}
	streamEvs, err := s.RoomStream("!r:x", 0, 1<<62, 10)
	if err != nil || len(streamEvs) != 1 || streamEvs[0].EventID != "$join" {
		t.Fatalf("room stream after backfill: %+v %v", streamEvs, err)
	}
	last := outlier.Stream
	s.Close()
	s = openMem(t, fs)
	defer s.Close()
	b, _ = s.NewRoomBatch()
	defer b.Close()
	if p := b.NextStream(); p <= last {
		t.Fatalf("after reopen the stream hands out %d again (last backfilled %d)", p, last)
	}
}

// Backward extremities and the backfill state round-trip, per room.
func TestBackwardExtremities(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	if st, err := s.BackfillState("!r:x"); err != nil || st.Initialised {
		t.Fatalf("state of a room never looked at: %+v %v", st, err)
	}
	b, _ := s.NewRoomBatch()
	b.PutBackfillState("!r:x", BackfillState{Initialised: true})
	b.SetBackwardExtremity("!r:x", BackwardExtremity{EventID: "$a", Depth: 5, Stream: 7, Missing: []string{"$p", "$q"}})
	b.SetBackwardExtremity("!r:x", BackwardExtremity{EventID: "$b", Depth: -2, Stream: 9, Missing: []string{"$z"}})
	b.SetBackwardExtremity("!r:xx", BackwardExtremity{EventID: "$c", Depth: 1, Stream: 1, Missing: []string{"$y"}})
	mustCommit(t, b)
	xs, err := s.BackwardExtremities("!r:x")
	if err != nil || fmt.Sprint(xs) != "[{$a 5 7 [$p $q]} {$b -2 9 [$z]}]" {
		t.Fatalf("extremities %v %v", xs, err)
	}
	if xs[1].Topo() != (Topo{Depth: -2, Stream: 9}) {
		t.Fatalf("topo %v", xs[1].Topo())
	}
	b, _ = s.NewRoomBatch()
	b.DeleteBackwardExtremity("!r:x", "$a")
	mustCommit(t, b)
	if xs, _ := s.BackwardExtremities("!r:x"); len(xs) != 1 || xs[0].EventID != "$b" {
		t.Fatalf("after delete %v", xs)
	}
	if st, _ := s.BackfillState("!r:x"); !st.Initialised {
		t.Fatal("state lost")
	}
}
