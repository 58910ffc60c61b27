package persistence

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// Rows queued concurrently for one destination come back in seq order,
// each once, and a read from a seq starts there; the acknowledgement of a
// transaction deletes its rows only.
func TestToDeviceOutbox(t *testing.T) {
	s := openTestStore(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				q := []QueuedToDevice{{Destination: "b.test", Content: json.RawMessage(`{"w":` + strconv.Itoa(w) + `,"i":` + strconv.Itoa(i) + `}`)},
					{Destination: "c.test", Content: json.RawMessage(`{}`)}}
				if _, err := s.QueueToDevice(q, 1); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	rows, err := s.ToDeviceOutbox("b.test", 0, 1000)
	if err != nil || len(rows) != 100 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if v := ToDeviceVisible(); v <= rows[len(rows)-1].Seq {
		t.Fatalf("visible seq %d with every row committed up to %d", v, rows[len(rows)-1].Seq)
	}
	if !slices.IsSortedFunc(rows, func(a, b ToDeviceRow) int { return cmpU64(a.Seq, b.Seq) }) {
		t.Fatal("rows out of seq order")
	}
	if from, _ := s.ToDeviceOutbox("b.test", rows[40].Seq, 10); len(from) != 10 || from[0].Seq != rows[40].Seq {
		t.Fatalf("read from seq: %v", from)
	}
	dests, err := s.ToDeviceOutboxDestinations()
	if err != nil || !slices.Equal(dests, []string{"b.test", "c.test"}) {
		t.Fatalf("destinations %v, %v", dests, err)
	}
	var acked []uint64
	for _, r := range rows[:60] {
		acked = append(acked, r.Seq)
	}
	if err := s.AckOutboxes([]OutboxAck{{Destination: "b.test", ToDevice: acked}}); err != nil {
		t.Fatal(err)
	}
	left, _ := s.ToDeviceOutbox("b.test", 0, 1000)
	if len(left) != 40 || left[0].Seq != rows[60].Seq {
		t.Fatalf("%d rows left after the ack", len(left))
	}
	if c, _ := s.ToDeviceOutbox("c.test", 0, 1000); len(c) != 100 {
		t.Fatalf("another destination's rows: %d", len(c))
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// BenchmarkQueueToDevice is one /sendToDevice's durable write (an fsync'd
// commit; concurrent commits share fsyncs), from 8 concurrent senders.
func BenchmarkQueueToDevice(b *testing.B) {
	s := openTestStore(b)
	q := []QueuedToDevice{{Destination: "b.test", Content: json.RawMessage(`{"message_id":"0123456789abcdef","messages":{}}`)}}
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.QueueToDevice(q, 1); err != nil {
				b.Error(err)
			}
		}
	})
}

// openTestStore opens a store on disk (the benchmark measures real fsyncs).
func openTestStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.TempDir(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
