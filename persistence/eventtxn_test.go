package persistence

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Only the device that sent an event under a transaction ID is told it.
func TestTransactionIDFor(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b, err := s.NewRoomBatch()
	if err != nil {
		t.Fatal(err)
	}
	b.PutEventTxn(7, EventTxn{UserID: "@alice:hs", DeviceID: "PHONE", TxnID: "m1.2/3"})
	mustCommit(t, b)
	tests := []struct {
		name         string
		nid          uint64
		user, device string
		want         string
	}{
		{"sending device", 7, "@alice:hs", "PHONE", "m1.2/3"},
		{"other device of the sender", 7, "@alice:hs", "LAPTOP", ""},
		{"other user with the same device ID", 7, "@bob:hs", "PHONE", ""},
		{"no device", 7, "@alice:hs", "", ""},
		{"event sent without a transaction", 8, "@alice:hs", "PHONE", ""},
	}
	for _, tc := range tests {
		got, err := s.TransactionIDFor(tc.nid, tc.user, tc.device)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := s.EventTxn(8); err != ErrNotFound {
		t.Errorf("EventTxn of an event without a record: %v, want ErrNotFound", err)
	}
}

// BenchmarkTransactionIDFor is the extra read a read endpoint makes for
// each event the requesting user sent: one with a record, one without.
func BenchmarkTransactionIDFor(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rb, err := s.NewRoomBatch()
	if err != nil {
		b.Fatal(err)
	}
	for nid := uint64(1); nid <= 10000; nid += 2 {
		rb.PutEventTxn(nid, EventTxn{UserID: "@alice:hs", DeviceID: "PHONE", TxnID: "m1"})
	}
	if err := rb.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		start uint64
	}{{"with_record", 1}, {"without_record", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			var i uint64
			for b.Loop() {
				// Odd NIDs have records, even ones do not.
				nid := bc.start + i%5000*2
				if _, err := s.TransactionIDFor(nid, "@alice:hs", "PHONE"); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
