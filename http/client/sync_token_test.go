package client

import (
	"errors"
	"testing"
	"time"
)

func TestSyncTokenRoundTrip(t *testing.T) {
	for _, tok := range []syncToken{
		{},
		{Events: 1, Typing: 2, Receipts: 3, ToDevice: 4, AccountData: 5, Presence: 6, DeviceLists: 7},
		{Events: ^uint64(0), DeviceLists: ^uint64(0)},
	} {
		s := tok.String()
		got, err := parseSyncToken(s)
		if err != nil || got != tok {
			t.Fatalf("parse(%q) = %+v, %v; want %+v", s, got, err, tok)
		}
	}
	if s := (syncToken{Events: 10, Typing: 2, Receipts: 3, ToDevice: 4, AccountData: 5, Presence: 6, DeviceLists: 7}).String(); s != "s10_2_3_4_5_6_7" {
		t.Fatalf("String() = %q", s)
	}
}

func TestParseSyncTokenRefuses(t *testing.T) {
	for _, s := range []string{
		"", "s", "s1", "s1_2_3_4_5_6", "s1_2_3_4_5_6_7_8", "t1_2", "S1_2_3_4_5_6_7",
		"s01_2_3_4_5_6_7", "s-1_2_3_4_5_6_7", "s1_2_3_4_5_6_+7", "s1__3_4_5_6_7",
		"s18446744073709551616_0_0_0_0_0_0", "s1_2_3_4_5_6_7 ", "s１_2_3_4_5_6_7",
	} {
		if _, err := parseSyncToken(s); !errors.Is(err, errBadSyncToken) {
			t.Errorf("parseSyncToken(%q) = %v, want errBadSyncToken", s, err)
		}
	}
}

func TestDeviceListPositionOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"s1_2_3_4_5_6_7", 7, true},
		{"42", 42, true},
		{"x", 0, false},
		{"042", 0, false},
	} {
		got, err := DeviceListPositionOf(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("DeviceListPositionOf(%q) = %d, %v", tc.in, got, err)
		}
	}
}

// FuzzParseSyncToken: any token that parses prints back to itself, so
// every position has exactly one spelling.
func FuzzParseSyncToken(f *testing.F) {
	f.Add("s1_2_3_4_5_6_7")
	f.Add("s0_0_0_0_0_0_0")
	f.Add("t3_4")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseSyncToken(s)
		if err != nil {
			return
		}
		if tok.String() != s {
			t.Fatalf("parse(%q) prints as %q", s, tok.String())
		}
	})
}

func TestTypingTrackerExpiresAndCounts(t *testing.T) {
	now := time.Unix(1000, 0)
	var changed []string
	tr := newTypingTracker(func() time.Time { return now }, func(r string) { changed = append(changed, r) })
	tr.set("!r", "@a:x", true, time.Hour)
	tr.set("!r", "@a:x", true, time.Hour) // renewal: no change
	tr.set("!r", "@b:x", true, time.Hour)
	users, ch := tr.typingIn("!r", 0, tr.position())
	if len(users) != 2 || !ch || tr.position() != 2 || len(changed) != 2 {
		t.Fatalf("users %v changed %v pos %d notified %v", users, ch, tr.position(), changed)
	}
	if _, ch := tr.typingIn("!r", 2, 2); ch {
		t.Fatal("no change after position 2, yet reported changed")
	}
	now = now.Add(2 * time.Hour) // both expired, even before the timers fire
	if users, _ := tr.typingIn("!r", 0, 2); len(users) != 0 {
		t.Fatalf("expired notices still listed: %v", users)
	}
	tr.set("!r", "@a:x", false, 0)
	if tr.position() != 3 {
		t.Fatalf("stop typing: position %d, want 3", tr.position())
	}
	// A since beyond the current position (a token from before a restart)
	// reads as changed.
	if _, ch := tr.typingIn("!other", 99, 3); !ch {
		t.Fatal("token from before a restart not treated as changed")
	}
}
