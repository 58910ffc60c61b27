package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func commit(t *testing.T, b *Batch) {
	t.Helper()
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A user whose localpart is a prefix of another's never sees the other's
// rows: components are length-prefixed.
func TestUserDataDoesNotLeakAcrossPrefixLocalparts(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	b := s.NewBatch()
	b.PutAccountData("alice", "", "m.x", json.RawMessage(`{}`), 1, nil)
	b.PutToDevice("alice", "D", 1, ToDeviceMessage{Sender: "@b:hs", Type: "t", Content: json.RawMessage(`{}`)})
	b.PutOneTimeKey("alice", "D", "a:1", json.RawMessage(`"k"`))
	b.PutFilter("alice", 1, json.RawMessage(`{}`))
	commit(t, b)
	for _, lp := range []string{"al", "alic", "alicex"} {
		if ad, _ := s.AccountDataSince(lp, 0, 0); len(ad) != 0 {
			t.Errorf("%s sees account data %+v", lp, ad)
		}
		if of, _ := s.AccountDataOf(lp, ""); len(of) != 0 {
			t.Errorf("%s sees global account data %+v", lp, of)
		}
		if last, _ := s.LastFilterID(lp); last != 0 {
			t.Errorf("%s has filter %d", lp, last)
		}
		if c, _ := s.OneTimeKeyCounts(lp, "D"); len(c) != 0 {
			t.Errorf("%s has keys %v", lp, c)
		}
		if m, _ := s.ToDeviceSince(lp, "D", 0, 0); len(m) != 0 {
			t.Errorf("%s has messages %v", lp, m)
		}
	}
}

func TestFilterIDs(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	b := s.NewBatch()
	b.PutFilter("alice", 1, json.RawMessage(`{"a":1}`))
	b.PutFilter("alice", 2, json.RawMessage(`{"a":2}`))
	b.PutFilter("bob", 7, json.RawMessage(`{"b":7}`))
	commit(t, b)
	if last, err := s.LastFilterID("alice"); err != nil || last != 2 {
		t.Fatalf("last alice filter = %d, %v", last, err)
	}
	tests := []struct {
		lp, id, want string
	}{
		{"alice", "1", `{"a":1}`},
		{"alice", "2", `{"a":2}`},
		{"alice", "7", ""},   // bob's
		{"bob", "1", ""},     // alice's
		{"alice", "01", ""},  // not canonical decimal
		{"alice", "-1", ""},  // not a number
		{"alice", "1e0", ""}, // not a number
		{"alice", "", ""},
	}
	for _, tc := range tests {
		got, err := s.Filter(tc.lp, tc.id)
		if tc.want == "" {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Filter(%q, %q) = %s, %v; want ErrNotFound", tc.lp, tc.id, got, err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Filter(%q, %q) = %s, %v; want %s", tc.lp, tc.id, got, err, tc.want)
		}
	}
}

func TestDeviceListLogSurvivesReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	for _, lp := range []string{"alice", "bob", "alice", "carol"} {
		if _, err := s.CommitDeviceListChange(s.NewBatch(), lp); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.DeviceListChanges(0, 4); len(got) != 3 || got[0] != "alice" || got[1] != "bob" || got[2] != "carol" {
		t.Fatalf("changes (0,4] = %v", got)
	}
	if got, _ := s.DeviceListChanges(2, 3); len(got) != 1 || got[0] != "alice" {
		t.Fatalf("changes (2,3] = %v", got)
	}
	if got, _ := s.DeviceListChanges(4, 4); len(got) != 0 {
		t.Fatalf("changes (4,4] = %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	deviceLists.Delete(s)
	s2 := openMem(t, fs)
	if pos, err := s2.DeviceListPosition(); err != nil || pos != 4 {
		t.Fatalf("position after reopen = %d, %v", pos, err)
	}
	if pos, err := s2.CommitDeviceListChange(s2.NewBatch(), "dave"); err != nil || pos != 5 {
		t.Fatalf("next position after reopen = %d, %v", pos, err)
	}
}

func TestToDeviceAckBounds(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	b := s.NewBatch()
	for pos := uint64(1); pos <= 5; pos++ {
		b.PutToDevice("alice", "D", pos, ToDeviceMessage{Type: "t", Content: json.RawMessage(`{}`)})
	}
	b.PutToDevice("alice", "E", 1, ToDeviceMessage{Type: "t", Content: json.RawMessage(`{}`)})
	commit(t, b)
	b = s.NewBatch()
	b.AckToDevice("alice", "D", 3)
	commit(t, b)
	got, _ := s.ToDeviceSince("alice", "D", 0, 0)
	if len(got) != 2 || got[0].Pos != 4 || got[1].Pos != 5 {
		t.Fatalf("after ack 3 = %+v", got)
	}
	b = s.NewBatch()
	b.AckToDevice("alice", "D", ^uint64(0))
	commit(t, b)
	if got, _ := s.ToDeviceSince("alice", "D", 0, 0); len(got) != 0 {
		t.Fatalf("after ack of everything = %+v", got)
	}
	if got, _ := s.ToDeviceSince("alice", "E", 0, 0); len(got) != 1 {
		t.Fatalf("other device's inbox = %+v", got)
	}
	if got, _ := s.ToDeviceSince("alice", "E", ^uint64(0), 0); len(got) != 0 {
		t.Fatalf("since max = %+v", got)
	}
	if pos, _ := s.ToDevicePosition("alice", "D"); pos != 5 {
		t.Fatalf("position = %d", pos)
	}
}

func TestUnusedFallbackKeyTypes(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	b := s.NewBatch()
	b.PutFallbackKey("alice", "D", "signed_curve25519", FallbackKey{KeyID: "signed_curve25519:a", Key: json.RawMessage(`{}`)})
	b.PutFallbackKey("alice", "D", "other_alg", FallbackKey{KeyID: "other_alg:b", Key: json.RawMessage(`{}`), Used: true})
	b.PutFallbackKey("alice", "E", "third", FallbackKey{KeyID: "third:c", Key: json.RawMessage(`{}`)})
	commit(t, b)
	got, err := s.UnusedFallbackKeyTypes("alice", "D")
	if err != nil || len(got) != 1 || got[0] != "signed_curve25519" {
		t.Fatalf("unused types = %v, %v", got, err)
	}
	if none, _ := s.UnusedFallbackKeyTypes("bob", "D"); none == nil || len(none) != 0 {
		t.Fatalf("unknown device = %#v, want an empty list", none)
	}
}

// Concurrent device-list changes all commit, get distinct positions and
// the visible position ends at the last of them.
func TestDeviceListChangesConcurrent(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	const n = 50
	var wg sync.WaitGroup
	positions := make(chan uint64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pos, err := s.CommitDeviceListChange(s.NewBatch(), fmt.Sprintf("user%02d", i))
			if err != nil {
				t.Error(err)
			}
			positions <- pos
		}()
	}
	wg.Wait()
	close(positions)
	seen := map[uint64]bool{}
	for p := range positions {
		if seen[p] || p == 0 || p > n {
			t.Fatalf("position %d repeated or out of range", p)
		}
		seen[p] = true
	}
	if pos, _ := s.DeviceListPosition(); pos != n {
		t.Fatalf("visible position %d, want %d", pos, n)
	}
	if got, _ := s.DeviceListChanges(0, n); len(got) != n {
		t.Fatalf("%d users changed, want %d", len(got), n)
	}
}

// An inbox and its counter survive a restart: what was not acknowledged is
// still there, and new positions continue after the old ones.
func TestToDeviceSurvivesReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	b := s.NewBatch()
	b.PutToDevice("alice", "D", 1, ToDeviceMessage{Sender: "@b:hs", Type: "t", Content: json.RawMessage(`{"n":1}`)})
	b.PutToDevice("alice", "D", 2, ToDeviceMessage{Sender: "@b:hs", Type: "t", Content: json.RawMessage(`{"n":2}`)})
	b.PutToDeviceTxn("alice", "@b:hs", "B", "txn1")
	commit(t, b)
	b = s.NewBatch()
	b.AckToDevice("alice", "D", 1)
	commit(t, b)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openMem(t, fs)
	msgs, err := s2.ToDeviceSince("alice", "D", 0, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Pos != 2 || string(msgs[0].Content) != `{"n":2}` {
		t.Fatalf("inbox after reopen = %+v, %v", msgs, err)
	}
	if pos, _ := s2.ToDevicePosition("alice", "D"); pos != 2 {
		t.Fatalf("position after reopen = %d", pos)
	}
	if seen, _ := s2.ToDeviceTxnSeen("alice", "@b:hs", "B", "txn1"); !seen {
		t.Fatal("delivered transaction forgotten across the restart")
	}
}

// BenchmarkAccountDataSince reads the last 10 changes of a user with 1 000
// account-data entries, as an incremental sync does.
func BenchmarkAccountDataSince(b *testing.B) {
	s, err := Open("db", Options{FS: vfs.NewMem()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := s.NewBatch()
	for i := 1; i <= 1000; i++ {
		batch.PutAccountData("alice", "", fmt.Sprintf("org.example.t%04d", i), json.RawMessage(`{"k":"v"}`), uint64(i), nil)
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := s.AccountDataSince("alice", 990, 0)
		if err != nil || len(got) != 10 {
			b.Fatalf("%d entries, %v", len(got), err)
		}
	}
}

// BenchmarkToDeviceSince reads a device's 100 pending messages.
func BenchmarkToDeviceSince(b *testing.B) {
	s, err := Open("db", Options{FS: vfs.NewMem()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := s.NewBatch()
	for i := uint64(1); i <= 100; i++ {
		batch.PutToDevice("alice", "D", i, ToDeviceMessage{Sender: "@b:hs", Type: "m.room.encrypted", Content: json.RawMessage(`{"algorithm":"m.olm.v1.curve25519-aes-sha2","ciphertext":{"k":{"type":0,"body":"AAAA"}}}`)})
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := s.ToDeviceSince("alice", "D", 0, 0)
		if err != nil || len(got) != 100 {
			b.Fatalf("%d messages, %v", len(got), err)
		}
	}
}
