package persistence

import (
	"path/filepath"
	"testing"
)

// openStreamStore opens a fresh store; the caller closes it.
func openStreamStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestReceiptsReplaceAndStream(t *testing.T) {
	s, dir := openStreamStore(t)
	put := func(r Receipt) uint64 {
		t.Helper()
		pos, err := s.PutReceipt(r)
		if err != nil {
			t.Fatal(err)
		}
		return pos
	}
	p1 := put(Receipt{RoomID: "!a", Type: "m.read", UserID: "@u:x", EventID: "$1", TS: 1})
	p2 := put(Receipt{RoomID: "!b", Type: "m.read", UserID: "@u:x", EventID: "$2", TS: 2})
	p3 := put(Receipt{RoomID: "!a", Type: "m.read", UserID: "@u:x", EventID: "$3", TS: 3}) // replaces p1
	if p1 != 1 || p2 != 2 || p3 != 3 {
		t.Fatalf("positions %d %d %d", p1, p2, p3)
	}
	all, err := s.ReceiptsSince(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].RoomID != "!b" || all[1].EventID != "$3" {
		t.Fatalf("ReceiptsSince(0,3) = %+v; the replaced receipt must be gone", all)
	}
	if later, _ := s.ReceiptsSince(2, 3); len(later) != 1 || later[0].EventID != "$3" {
		t.Fatalf("ReceiptsSince(2,3) = %+v", later)
	}
	if room, _ := s.RoomReceipts("!a", 3); len(room) != 1 || room[0].EventID != "$3" || room[0].UserID != "@u:x" {
		t.Fatalf("RoomReceipts = %+v", room)
	}
	if room, _ := s.RoomReceipts("!a", 2); len(room) != 0 {
		t.Fatalf("RoomReceipts up to 2 = %+v, want none (the receipt moved to 3)", room)
	}
	if r, err := s.ReceiptOf("!a", "m.read", "@u:x", ""); err != nil || r.EventID != "$3" {
		t.Fatalf("ReceiptOf = %+v, %v", r, err)
	}
	if _, err := s.ReceiptOf("!a", "m.read", "@v:x", ""); err != ErrNotFound {
		t.Fatalf("ReceiptOf a missing receipt: %v", err)
	}
	// Positions survive a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if pos, _ := s2.ReceiptPosition(); pos != 3 {
		t.Fatalf("after reopen position %d, want 3", pos)
	}
	if pos, _ := s2.PutReceipt(Receipt{RoomID: "!c", Type: "m.read", UserID: "@u:x", EventID: "$4"}); pos != 4 {
		t.Fatalf("next position after reopen %d, want 4", pos)
	}
}

func TestPresenceStream(t *testing.T) {
	s, _ := openStreamStore(t)
	defer s.Close()
	for _, p := range []Presence{
		{UserID: "@a:x", Presence: "online"},
		{UserID: "@b:x", Presence: "online"},
		{UserID: "@a:x", Presence: "unavailable", StatusMsg: "away"},
	} {
		if _, err := s.PutPresence(p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PresenceSince(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].UserID != "@b:x" || got[1].UserID != "@a:x" || got[1].StatusMsg != "away" {
		t.Fatalf("PresenceSince = %+v: each user once, at the latest change", got)
	}
	if got, _ := s.PresenceSince(3, 3); len(got) != 0 {
		t.Fatalf("nothing after 3, got %+v", got)
	}
	if _, err := s.PresenceOf("@nobody:x"); err != ErrNotFound {
		t.Fatalf("PresenceOf unknown: %v", err)
	}
}
