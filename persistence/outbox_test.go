package persistence

import (
	"errors"
	"slices"
	"testing"
)

func TestOutboxRowsAndDestinationState(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := st.NewBatch()
	for _, r := range []struct {
		dest        string
		stream, nid uint64
	}{{"b.test", 7, 70}, {"a.test", 9, 90}, {"a.test", 3, 30}, {"a.test:8448", 1, 10}, {"a.test", 5, 50}} {
		b.PutOutbox(r.dest, r.stream, r.nid)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Outbox("a.test", 2)
	if err != nil || len(rows) != 2 || rows[0] != (OutboxRow{3, 30}) || rows[1] != (OutboxRow{5, 50}) {
		t.Fatalf("Outbox(a.test, 2) = %v, %v", rows, err)
	}
	dests, err := st.OutboxDestinations()
	slices.Sort(dests) // keys order by length first (lp), which means nothing here
	if err != nil || !slices.Equal(dests, []string{"a.test", "a.test:8448", "b.test"}) {
		t.Fatalf("destinations %v, %v", dests, err)
	}
	if _, err := st.Destination("a.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown destination: %v", err)
	}
	if err := st.AckOutbox("a.test", []uint64{3, 5}, DestinationState{Seq: 4, LastSuccessMS: 99}); err != nil {
		t.Fatal(err)
	}
	rows, _ = st.Outbox("a.test", 10)
	if len(rows) != 1 || rows[0].Stream != 9 {
		t.Fatalf("after ack: %v", rows)
	}
	if ds, err := st.Destination("a.test"); err != nil || ds.Seq != 4 || ds.LastSuccessMS != 99 || ds.TxnID != "" {
		t.Fatalf("state %+v, %v", ds, err)
	}
}

func TestInboundTxnRecords(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.InboundTxnResult("o.test", "t1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown txn: %v", err)
	}
	for i, id := range []string{"t1", "t2"} {
		if err := st.PutInboundTxnResult("o.test", id, InboundTxn{Response: []byte(`{"pdus":{}}`), TS: int64(100 * (i + 1))}); err != nil {
			t.Fatal(err)
		}
	}
	// Another origin's txn of the same ID is another transaction.
	if _, err := st.InboundTxnResult("p.test", "t1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other origin: %v", err)
	}
	if n, err := st.PruneInboundTxns(150); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if r, err := st.InboundTxnResult("o.test", "t2"); err != nil || string(r.Response) != `{"pdus":{}}` {
		t.Fatalf("t2 after prune: %s, %v", r.Response, err)
	}
}
