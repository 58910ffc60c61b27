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
