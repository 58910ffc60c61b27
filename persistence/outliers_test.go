package persistence

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// An outlier is found by ID and NID but by no timeline read; a timeline
// PutEvent with the NID TimelineNID hands out moves it into the timeline
// under the same NID.
func TestOutlierThenDeOutlier(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	const room = "!r:x"
	b, _ := s.NewRoomBatch()
	msg := StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), Depth: 1, RoomID: room, EventID: "$timeline", RoomVersion: "11", Raw: []byte(`{}`)}
	b.PutEvent(msg)
	out := StoredEvent{NID: b.NextNID(), Stream: 99, Depth: 2, RoomID: room, EventID: "$outlier", RoomVersion: "11", StateBefore: 7, StateAfter: 8, Outcome: OutcomeRejected, Raw: []byte(`{"a":1}`)}
	b.PutOutlier(out)
	mustCommit(t, b)

	got, err := s.EventByID("$outlier")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Outlier || got.Stream != 0 || got.NID != out.NID || got.Outcome != OutcomeRejected || got.StateBefore != 7 || got.StateAfter != 8 {
		t.Fatalf("outlier read back as %+v", got)
	}
	if ids := timelineIDs(t, s, room); len(ids) != 1 || ids[0] != "$timeline" {
		t.Fatalf("timeline holds %v, want only $timeline", ids)
	}

	b, _ = s.NewRoomBatch()
	if _, err := b.TimelineNID("$timeline"); !errors.Is(err, ErrInTimeline) {
		t.Fatalf("TimelineNID of a timeline event: %v, want ErrInTimeline", err)
	}
	fresh, err := b.TimelineNID("$new")
	if err != nil || fresh == 0 || fresh == out.NID || fresh == msg.NID {
		t.Fatalf("TimelineNID of an unknown event: %d, %v", fresh, err)
	}
	nid, err := b.TimelineNID("$outlier")
	if err != nil || nid != out.NID {
		t.Fatalf("TimelineNID of the outlier: %d, %v, want %d", nid, err, out.NID)
	}
	de := out
	de.Outlier, de.Stream, de.Outcome = true, b.NextStream(), OutcomeAccepted
	b.PutEvent(de)
	mustCommit(t, b)

	got, err = s.EventByID("$outlier")
	if err != nil {
		t.Fatal(err)
	}
	if got.Outlier || got.Stream != de.Stream || got.NID != out.NID {
		t.Fatalf("de-outliered event read back as %+v", got)
	}
	if ids := timelineIDs(t, s, room); len(ids) != 2 || ids[1] != "$outlier" {
		t.Fatalf("timeline holds %v, want $timeline then $outlier", ids)
	}
	if byNID, _ := s.EventByNID(out.NID); byNID.EventID != "$outlier" || byNID.Outlier {
		t.Fatalf("record under the outlier's NID: %+v", byNID)
	}
}

// timelineIDs reads a room through both timeline orderings, which must
// agree.
func timelineIDs(t *testing.T, s *Store, roomID string) []string {
	t.Helper()
	byStream, err := s.RoomStream(roomID, 0, 1<<62, 100)
	if err != nil {
		t.Fatal(err)
	}
	byTopo, _, err := s.RoomEvents(roomID, Topo{}, false, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(byStream) != len(byTopo) {
		t.Fatalf("room stream has %d events, topological order %d", len(byStream), len(byTopo))
	}
	ids := make([]string, len(byStream))
	for i, e := range byStream {
		if byTopo[i].EventID != e.EventID {
			t.Fatalf("orderings disagree at %d: %s vs %s", i, e.EventID, byTopo[i].EventID)
		}
		ids[i] = e.EventID
	}
	return ids
}

// Records written before outliers existed (flags without bit 3) read as
// timeline events with their outcome; unknown flag bits are corrupt.
func TestEventRecordFlags(t *testing.T) {
	base := encodeEvent(StoredEvent{NID: 3, Stream: 4, RoomID: "!r:x", EventID: "$e", RoomVersion: "10", Raw: []byte(`{}`)})
	tests := []struct {
		name     string
		flags    byte
		outcome  uint8
		redacted bool
		outlier  bool
		corrupt  bool
	}{
		{"accepted, old format", 0, OutcomeAccepted, false, false, false},
		{"soft-failed redacted, old format", 1 | OutcomeSoftFailed<<1, OutcomeSoftFailed, true, false, false},
		{"rejected, old format", OutcomeRejected << 1, OutcomeRejected, false, false, false},
		{"rejected outlier", OutcomeRejected<<1 | 8, OutcomeRejected, false, true, false},
		{"unknown bit", 0x10, 0, false, false, true},
		{"high bit", 0x80, 0, false, false, true},
	}
	for _, tc := range tests {
		b := append([]byte(nil), base...)
		b[1] = tc.flags
		e, err := decodeEvent(b)
		if tc.corrupt {
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: %v, want ErrCorrupt", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e.Outcome != tc.outcome || e.Redacted != tc.redacted || e.Outlier != tc.outlier || e.NID != 3 || e.EventID != "$e" {
			t.Errorf("%s: decoded %+v", tc.name, e)
		}
	}
}
