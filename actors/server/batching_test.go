package server

import (
	"context"
	"testing"
	"time"

	"github.com/axonhs/axon/persistence"
)

// Under load a destination's next transaction waits for the batch
// interval and carries every PDU queued meanwhile; the first one after a
// quiet spell leaves at once.
func TestBatchesGrowUnderLoad(t *testing.T) {
	for _, tc := range []struct {
		name     string
		delay    time.Duration
		maxTxns  int // transactions for the ten rows queued one by one
		minTxns  int
		firstMax time.Duration
	}{
		{"delay", 300 * time.Millisecond, 3, 1, 200 * time.Millisecond},
		{"no delay", -1, 10, 4, 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			defer st.Close()
			s := &fakeSender{}
			d := newDir(t, st, s, func(c *Config) { c.MaxBatchDelay, c.TxnRateBudget = tc.delay, 1 })
			defer d.Stop(context.Background())
			start := time.Now()
			queue(t, st, "b.test", 1)
			d.Wake([]string{"b.test"})
			waitUntil(t, "the first PDU", func() bool { got, _ := pdusOf(s.snapshot(), "b.test"); return len(got) == 1 })
			if el := time.Since(start); el > tc.firstMax {
				t.Errorf("the first PDU after a quiet spell took %s", el)
			}
			for range 10 {
				queue(t, st, "b.test", 1)
				d.Wake([]string{"b.test"})
				time.Sleep(3 * time.Millisecond)
			}
			waitUntil(t, "all PDUs", func() bool { got, _ := pdusOf(s.snapshot(), "b.test"); return len(got) == 11 })
			if n := len(s.snapshot()) - 1; n > tc.maxTxns || n < tc.minTxns {
				t.Errorf("ten PDUs queued over 30 ms went out in %d transactions, want %d to %d", n, tc.minTxns, tc.maxTxns)
			}
		})
	}
}

// A destination's backoff survives a restart: the new process waits for
// the recorded retry time instead of trying at once, and the
// destination's contact still starts a retry.
func TestBackoffSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	s := &fakeSender{fail: true}
	d := newDir(t, st, s, func(c *Config) { c.BackoffBase, c.BackoffMax = time.Hour, time.Hour })
	want := queue(t, st, "slow.test", 3)
	d.Wake([]string{"slow.test"})
	waitUntil(t, "a failed attempt", func() bool { return d.Stats().Failed >= 1 })
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Destination("slow.test")
	if err != nil || rec.Failures != 1 || rec.RetryAtMS < time.Now().Add(20*time.Minute).UnixMilli() || rec.TxnID == "" {
		t.Fatalf("recorded state %+v, %v", rec, err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	s.setFail(false)
	d = newDir(t, st, s, nil) // short backoff settings: only the record can hold it back
	defer d.Stop(context.Background())
	if err := d.Recover(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := s.attempts(rec.TxnID); n != 1 {
		t.Fatalf("transaction tried %d times within 300 ms of the restart, want only the attempt before it", n)
	}
	d.Contacted("slow.test")
	waitUntil(t, "delivery after contact", func() bool { got, _ := pdusOf(s.snapshot(), "slow.test"); return len(got) == 3 })
	if got, _ := pdusOf(s.snapshot(), "slow.test"); !equalStrings(got, want) {
		t.Errorf("received %v", got)
	}
	if txns := s.snapshot(); txns[0].id != rec.TxnID {
		t.Errorf("resent as %s, want the recorded %s", txns[0].id, rec.TxnID)
	}
}

// A row whose batch commits after a later stream position was already sent
// (rooms commit concurrently) is still found: reads start no further than
// the stream watermark, which waits for the slower batch.
func TestLateCommitBelowSentRowsIsDelivered(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{}
	d := newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	slow, err := st.NewRoomBatch()
	if err != nil {
		t.Fatal(err)
	}
	lateNID, lateStream := slow.NextNID(), slow.NextStream()
	first := queue(t, st, "late.test", 2) // later stream positions, committed first
	d.Wake([]string{"late.test"})
	waitUntil(t, "the early rows", func() bool { got, _ := pdusOf(s.snapshot(), "late.test"); return len(got) == 2 })
	more := queue(t, st, "late.test", 1)
	d.Wake([]string{"late.test"})
	waitUntil(t, "the next row", func() bool { got, _ := pdusOf(s.snapshot(), "late.test"); return len(got) == 3 })
	slow.PutEvent(persistence.StoredEvent{NID: lateNID, Stream: lateStream, RoomID: "!r:axon.test", EventID: "$late", RoomVersion: "10", Raw: []byte(`{"late":true}`)})
	slow.PutOutbox("late.test", lateStream, lateNID)
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	d.Wake([]string{"late.test"})
	waitUntil(t, "the late row", func() bool { got, _ := pdusOf(s.snapshot(), "late.test"); return len(got) == 4 })
	got, _ := pdusOf(s.snapshot(), "late.test")
	want := append(append(first, more...), `{"late":true}`)
	if !equalStrings(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

// A backlog (a destination back from an outage) goes out in full
// transactions without the batch delay between them.
func TestBacklogSkipsBatchDelay(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{}
	d := newDir(t, st, s, func(c *Config) { c.MaxBatchDelay, c.TxnRateBudget = time.Second, 1 })
	defer d.Stop(context.Background())
	queue(t, st, "back.test", 1)
	d.Wake([]string{"back.test"})
	waitUntil(t, "the first PDU", func() bool { got, _ := pdusOf(s.snapshot(), "back.test"); return len(got) == 1 })
	queue(t, st, "back.test", 160)
	start := time.Now()
	d.Wake([]string{"back.test"})
	waitUntil(t, "the backlog", func() bool { got, _ := pdusOf(s.snapshot(), "back.test"); return len(got) == 161 })
	// One batch delay before the first full transaction, none between the
	// four of the backlog.
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("160 queued PDUs took %s to go out", el)
	}
}
