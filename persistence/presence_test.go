package persistence

import (
	"errors"
	"fmt"
	"testing"
)

// PutPresences writes users at consecutive positions in one commit; the
// stream keeps each user once, at their latest change, and a user listed
// twice in one call keeps the later entry.
func TestPutPresencesBatch(t *testing.T) {
	s := openTestStore(t)
	if _, err := s.PutPresence(Presence{UserID: "@a:x", Presence: "online"}); err != nil {
		t.Fatal(err)
	}
	last, err := s.PutPresences([]Presence{
		{UserID: "@b:x", Presence: "online"},
		{UserID: "@a:x", Presence: "unavailable"},
		{UserID: "@b:x", Presence: "offline", StatusMsg: "gone"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != 4 {
		t.Fatalf("last position %d, want 4", last)
	}
	if pos, err := s.PresencePosition(); err != nil || pos != 4 {
		t.Fatalf("PresencePosition = %d, %v; want 4", pos, err)
	}
	tests := []struct {
		from  uint64
		users []string
		state []string
	}{
		{0, []string{"@a:x", "@b:x"}, []string{"unavailable", "offline"}},
		{1, []string{"@a:x", "@b:x"}, []string{"unavailable", "offline"}},
		{3, []string{"@b:x"}, []string{"offline"}},
		{4, nil, nil},
	}
	for _, tc := range tests {
		got, err := s.PresenceSince(tc.from, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.users) {
			t.Fatalf("since %d: %+v, want %v", tc.from, got, tc.users)
		}
		for i, p := range got {
			if p.UserID != tc.users[i] || p.Presence != tc.state[i] {
				t.Fatalf("since %d: %+v, want %v %v", tc.from, got, tc.users, tc.state)
			}
		}
	}
	if p, err := s.PresenceOf("@b:x"); err != nil || p.StatusMsg != "gone" || p.Pos != 4 {
		t.Fatalf("PresenceOf(@b:x) = %+v, %v", p, err)
	}
	if pos, err := s.PutPresences(nil); err != nil || pos != 4 {
		t.Fatalf("PutPresences(nil) = %d, %v; want the current position", pos, err)
	}
	long := make([]byte, 70_000)
	if _, err := s.PutPresences([]Presence{{UserID: "@c:x"}, {UserID: string(long)}}); !errors.Is(err, ErrKeyTooLong) {
		t.Fatalf("an over-long user ID: %v", err)
	}
	if _, err := s.PresenceOf("@c:x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a rejected batch wrote part of itself: %v", err)
	}
}

// BenchmarkPresenceTimeouts stores 100 users' presence as the sweeper
// does when they time out together: one commit for all, against a
// commit each.
func BenchmarkPresenceTimeouts(b *testing.B) {
	ps := make([]Presence, 100)
	for i := range ps {
		ps[i] = Presence{UserID: fmt.Sprintf("@u%d:x", i), Presence: "offline", LastActiveTS: 1}
	}
	b.Run("one-commit", func(b *testing.B) {
		s := openTestStore(b)
		for b.Loop() {
			if _, err := s.PutPresences(ps); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("commit-each", func(b *testing.B) {
		s := openTestStore(b)
		for b.Loop() {
			for _, p := range ps {
				if _, err := s.PutPresence(p); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// ReplacePresenceAt writes only over the record it names.
func TestReplacePresenceAt(t *testing.T) {
	s := openTestStore(t)
	at, err := s.PutPresence(Presence{UserID: "@r:far", Presence: "online"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		userID string
		at     uint64
		ok     bool
		want   string
	}{
		{"a stale position", "@r:far", at + 5, false, "online"},
		{"an unknown user", "@nobody:far", at, false, ""},
		{"the current record", "@r:far", at, true, "offline"},
		{"the same position again", "@r:far", at, false, "offline"},
	}
	for _, tc := range tests {
		ok, err := s.ReplacePresenceAt(Presence{UserID: tc.userID, Presence: "offline"}, tc.at)
		if err != nil || ok != tc.ok {
			t.Fatalf("%s: %v, %v; want %v", tc.name, ok, err, tc.ok)
		}
		p, err := s.PresenceOf(tc.userID)
		if tc.want == "" {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s: stored %+v, %v", tc.name, p, err)
			}
			continue
		}
		if err != nil || p.Presence != tc.want {
			t.Fatalf("%s: stored %+v, %v; want %s", tc.name, p, err, tc.want)
		}
	}
	if got, err := s.PresenceSince(0, at+1); err != nil || len(got) != 1 || got[0].Pos != at+1 {
		t.Fatalf("stream after the replacement: %+v, %v", got, err)
	}
}
