package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestDo(t *testing.T) {
	var seen [100]atomic.Int32
	if err := Do(7, len(seen), func(i int) error { seen[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d ran %d times", i, seen[i].Load())
		}
	}
	boom := errors.New("boom")
	var ran atomic.Int32
	err := Do(1, 50, func(i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 4 {
		t.Errorf("err %v after %d calls; want boom after 4", err, ran.Load())
	}
	if err := Do(4, 0, func(int) error { return boom }); err != nil {
		t.Errorf("empty range: %v", err)
	}
}
