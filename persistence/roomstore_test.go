package persistence

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
)

// Batches commit out of order; the watermark only passes a position when
// every lower one has settled, and a failed batch leaves a gap, not a stall.
func TestWatermarkWithOutOfOrderCommits(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	a, _ := s.NewRoomBatch()
	b, _ := s.NewRoomBatch()
	c, _ := s.NewRoomBatch()
	pa, pb, pc := a.NextStream(), b.NextStream(), c.NextStream()
	if pa != 1 || pb != 2 || pc != 3 {
		t.Fatalf("positions %d %d %d", pa, pb, pc)
	}
	tests := []struct {
		name string
		end  func()
		want uint64
	}{
		{"third commits first", func() { mustCommit(t, c) }, 0},
		{"second commits", func() { mustCommit(t, b) }, 0},
		{"first fails", func() { a.err = ErrKeyTooLong; _ = a.Commit() }, 3},
	}
	_, changed, _ := s.StreamChanged()
	for _, tc := range tests {
		tc.end()
		got, _ := s.StreamPosition()
		if got != tc.want {
			t.Fatalf("%s: watermark %d, want %d", tc.name, got, tc.want)
		}
	}
	select {
	case <-changed:
	default:
		t.Fatal("StreamChanged channel not closed after the watermark advanced")
	}
}

func mustCommit(t *testing.T, b *RoomBatch) {
	t.Helper()
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func memberKey(u string) event.StateKey { return event.StateKey{Type: event.TypeMember, StateKey: u} }

// A chain of deltas with periodic snapshots resolves to the same state as
// applying every change in order.
func TestStateGroupsSnapshotsAndDeltas(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	want := map[uint64]StateMap{}
	cur := StateMap{}
	var parent uint64
	chain := 0
	b, _ := s.NewRoomBatch()
	for i := 1; i <= 3*SnapshotInterval+5; i++ {
		id := b.NextStateGroup()
		k := memberKey(fmt.Sprintf("@u%d:x", i%7))
		var entry StateEntry
		if i%5 == 0 {
			delete(cur, k)
			entry = StateEntry{Type: k.Type, StateKey: k.StateKey}
		} else {
			cur[k] = uint64(i)
			entry = StateEntry{Type: k.Type, StateKey: k.StateKey, NID: uint64(i)}
		}
		g := StateGroup{RoomID: "!r:x", Parent: parent, Entries: []StateEntry{entry}}
		if chain == SnapshotInterval {
			g = StateGroup{RoomID: "!r:x", Parent: parent, Snapshot: true}
			for k, n := range cur {
				g.Entries = append(g.Entries, StateEntry{Type: k.Type, StateKey: k.StateKey, NID: n})
			}
			chain = 0
		} else {
			chain++
		}
		b.PutStateGroup(id, g)
		snap := StateMap{}
		for k, v := range cur {
			snap[k] = v
		}
		want[id] = snap
		parent = id
	}
	mustCommit(t, b)
	for id, w := range want {
		got, err := s.StateOfGroup(id)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("group %d: %v, want %v", id, got, w)
		}
	}
	if g, _ := s.StateOfGroup(0); len(g) != 0 {
		t.Fatalf("group 0 = %v, want empty", g)
	}
}

// Topological pagination returns the whole room in order both ways, across
// pages, ordered by depth before stream position.
func TestTopologicalPagination(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b, _ := s.NewRoomBatch()
	// Depths deliberately out of stream order: stream 3 has depth 1.
	depths := []int64{0, 2, 1, 3, 4, 5, 6}
	for i, d := range depths {
		nid := b.NextNID()
		b.PutEvent(StoredEvent{NID: nid, Stream: b.NextStream(), Depth: d, RoomID: "!r:x", EventID: fmt.Sprintf("$e%d", i), RoomVersion: "11", Raw: []byte("{}")})
	}
	o, _ := s.NewRoomBatch()
	o.PutEvent(StoredEvent{NID: o.NextNID(), Stream: o.NextStream(), Depth: 1, RoomID: "!other:x", EventID: "$o", RoomVersion: "11", Raw: []byte("{}")})
	mustCommit(t, b)
	mustCommit(t, o)
	end, err := s.RoomEnd("!r:x")
	if err != nil {
		t.Fatal(err)
	}
	var back []int64
	for tok := end; ; {
		page, next, err := s.RoomEvents("!r:x", tok, true, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			back = append(back, e.Depth)
		}
		tok = next
	}
	if fmt.Sprint(back) != "[6 5 4 3 2 1 0]" {
		t.Fatalf("backwards depths %v", back)
	}
	var fwd []string
	for tok := (Topo{Depth: -1 << 62}); ; {
		page, next, err := s.RoomEvents("!r:x", tok, false, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			fwd = append(fwd, e.EventID)
		}
		tok = next
	}
	if fmt.Sprint(fwd) != "[$e0 $e2 $e1 $e3 $e4 $e5 $e6]" {
		t.Fatalf("forwards %v", fwd)
	}
}

// An event survives the round trip through its binary record, and counters
// continue after a reopen instead of reusing numbers.
func TestEventRecordAndCountersSurviveReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	b, _ := s.NewRoomBatch()
	e := StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), Depth: -3, RoomID: "!r:x", EventID: "$a", RoomVersion: "10",
		StateBefore: 4, StateAfter: 5, Outcome: OutcomeSoftFailed, Redacted: true, Raw: []byte(`{"a":1}`)}
	b.PutEvent(e)
	b.PutMembership("@u:x", UserMembership{RoomID: "!r:x", Membership: "join", EventNID: e.NID, Stream: e.Stream})
	b.PutRelation("$parent", "m.thread", e.Stream, e.NID)
	b.PutTxn("@u:x", "DEV", "t1", TxnRecord{EventID: "$a", RequestHash: "h"})
	mustCommit(t, b)
	s.Close()
	s = openMem(t, fs)
	defer s.Close()
	got, err := s.EventByID("$a")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(e) {
		t.Fatalf("event %+v, %v; want %+v", got, err, e)
	}
	b, _ = s.NewRoomBatch()
	if n, p := b.NextNID(), b.NextStream(); n != 2 || p != 2 {
		t.Fatalf("after reopen nid %d stream %d, want 2 2", n, p)
	}
	b.Close()
	if rooms, _ := s.UserRooms("@u:x", "join"); len(rooms) != 1 || rooms[0].RoomID != "!r:x" {
		t.Fatalf("user rooms %+v", rooms)
	}
	if m, _ := s.Membership("@u:x", "!other:x"); m.Membership != "leave" {
		t.Fatalf("unknown membership %+v", m)
	}
	if rels, _ := s.Relations("$parent", "", 0, true, 10); len(rels) != 1 || rels[0].RelType != "m.thread" {
		t.Fatalf("relations %+v", rels)
	}
	if r, err := s.Txn("@u:x", "DEV", "t1"); err != nil || r.EventID != "$a" {
		t.Fatalf("txn %+v %v", r, err)
	}
}

func TestTopoTokens(t *testing.T) {
	tests := []struct {
		in   string
		want Topo
		ok   bool
	}{
		{"t5_12", Topo{5, 12}, true},
		{"t-3_0", Topo{-3, 0}, true},
		{"s5_12", Topo{}, false},
		{"t5", Topo{}, false},
		{"t5_-1", Topo{}, false},
		{"", Topo{}, false},
	}
	for _, tc := range tests {
		got, err := ParseTopo(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseTopo(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("round trip %q → %q", tc.in, got.String())
		}
	}
}
