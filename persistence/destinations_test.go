package persistence

import (
	"testing"
)

func TestOutboxFrom(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := s.NewBatch()
	for _, st := range []uint64{5, 7, 9} {
		b.PutOutbox("a.test", st, st*10)
	}
	b.PutOutbox("b.test", 6, 60)
	b.PutOutbox("a.tes", 8, 80) // a name that is a prefix of another
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from  uint64
		limit int
		want  []uint64
	}{
		{0, 10, []uint64{5, 7, 9}}, {6, 10, []uint64{7, 9}}, {7, 10, []uint64{7, 9}}, {7, 1, []uint64{7}}, {10, 10, nil},
	} {
		rows, err := s.OutboxFrom("a.test", tc.from, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, r := range rows {
			if r.NID != r.Stream*10 {
				t.Errorf("row %+v", r)
			}
			got = append(got, r.Stream)
		}
		if len(got) != len(tc.want) {
			t.Errorf("from %d limit %d: %v, want %v", tc.from, tc.limit, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("from %d limit %d: %v, want %v", tc.from, tc.limit, got, tc.want)
			}
		}
	}
}

func TestAckOutboxes(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := s.NewBatch()
	for _, d := range []string{"a.test", "b.test"} {
		for _, st := range []uint64{1, 2, 3} {
			b.PutOutbox(d, st, st)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	err = s.AckOutboxes([]OutboxAck{
		{Destination: "a.test", Streams: []uint64{1, 2}, State: DestinationState{Seq: 7}},
		{Destination: "b.test", Streams: []uint64{3}, State: DestinationState{Seq: 9, Failures: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string][]uint64{"a.test": {3}, "b.test": {1, 2}} {
		rows, err := s.Outbox(d, 10)
		if err != nil || len(rows) != len(want) {
			t.Fatalf("%s: %v %v, want %v", d, rows, err, want)
		}
		for i, r := range rows {
			if r.Stream != want[i] {
				t.Errorf("%s: %v, want %v", d, rows, want)
			}
		}
	}
	if st, err := s.Destination("b.test"); err != nil || st.Seq != 9 {
		t.Errorf("b.test state %+v %v", st, err)
	}
}
