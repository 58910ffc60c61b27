package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestDirectoryWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Alice Liddell", []string{"alice", "liddell"}},
		{"alice.smith_99", []string{"alice", "smith", "99"}},
		{"  ÉLODIE  élodie ", []string{"élodie"}},
		{"Mr. O'Brien-Smith", []string{"mr", "o", "brien", "smith"}},
		{"@bob:example.org", []string{"bob", "example", "org"}},
		{"!!!", nil},
	}
	for _, tt := range tests {
		if got := DirectoryWords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("DirectoryWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type testDirUser struct {
	lp, name    string
	deactivated bool
	guest       bool
}

func putDirectoryUsers(t testing.TB, s *Store, users []testDirUser) {
	t.Helper()
	// Registration and profile changes are separate batches, as the user
	// actor writes them.
	for _, u := range users {
		b := s.NewBatch()
		b.PutAccount(u.lp, Account{Deactivated: u.deactivated, Guest: u.guest})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if u.name == "" {
			continue
		}
		b = s.NewBatch()
		b.PutProfile(u.lp, Profile{DisplayName: u.name})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func searchLocalparts(t *testing.T, s *Store, term string, limit int, accept func(string) (bool, error)) ([]string, bool) {
	t.Helper()
	if accept == nil {
		accept = func(string) (bool, error) { return true, nil }
	}
	ms, limited, err := s.SearchDirectory(DirectoryWords(term), limit, accept)
	if err != nil {
		t.Fatal(err)
	}
	var lps []string
	for _, m := range ms {
		lps = append(lps, m.Localpart)
	}
	slices.Sort(lps)
	return lps, limited
}

func TestSearchDirectory(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	putDirectoryUsers(t, s, []testDirUser{
		{lp: "alice", name: "Alice Liddell"},
		{lp: "alison", name: "Ali Son"},
		{lp: "bob", name: "Robert Smith"},
		{lp: "carol"},
		{lp: "gone", name: "Alice Gone", deactivated: true},
		{lp: "guest1", name: "Alice Guest", guest: true},
	})
	onlyBob := func(lp string) (bool, error) { return lp == "bob", nil }
	tests := []struct {
		name        string
		term        string
		limit       int
		accept      func(string) (bool, error)
		want        []string
		wantLimited bool
	}{
		{"word prefix", "ali", 10, nil, []string{"alice", "alison"}, false},
		{"display name word", "liddell", 10, nil, []string{"alice"}, false},
		{"every word must match", "ali lid", 10, nil, []string{"alice"}, false},
		{"case folded", "SMITH", 10, nil, []string{"bob"}, false},
		{"localpart without profile", "car", 10, nil, []string{"carol"}, false},
		{"infix does not match", "ice", 10, nil, nil, false},
		{"deactivated and guests hidden", "gone", 10, nil, nil, false},
		{"accept filters", "", 10, onlyBob, []string{"bob"}, false},
		{"accept filters every match", "robert", 10, func(string) (bool, error) { return false, nil }, nil, false},
		// Candidates come in index order: word, then localpart, so Ali Son's
		// exact word "ali" comes before "alice".
		{"limit reached", "ali", 1, nil, []string{"alison"}, true},
		{"empty term lists everyone visible", "", 10, nil, []string{"alice", "alison", "bob", "carol"}, false},
		// With no words, users come in key order: localpart length, then bytes.
		{"empty term limited", "", 3, nil, []string{"alice", "bob", "carol"}, true},
		{"limit zero", "ali", 0, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, limited := searchLocalparts(t, s, tt.term, tt.limit, tt.accept)
			if !slices.Equal(got, tt.want) || limited != tt.wantLimited {
				t.Fatalf("search %q = %q limited %v, want %q limited %v", tt.term, got, limited, tt.want, tt.wantLimited)
			}
		})
	}
}

func TestSearchDirectoryAcceptError(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	putDirectoryUsers(t, s, []testDirUser{{lp: "alice"}})
	boom := errors.New("boom")
	_, _, err := s.SearchDirectory([]string{"alice"}, 10, func(string) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

func TestDirectoryFollowsProfileChanges(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	putDirectoryUsers(t, s, []testDirUser{{lp: "alice", name: "Alice Liddell"}})
	b := s.NewBatch()
	b.PutProfile("alice", Profile{DisplayName: "Queen Hearts"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for term, want := range map[string][]string{"liddell": nil, "queen": {"alice"}, "alice": {"alice"}} {
		if got, _ := searchLocalparts(t, s, term, 10, nil); !slices.Equal(got, want) {
			t.Errorf("after rename, search %q = %q, want %q", term, got, want)
		}
	}
	// The old name's row is gone, not merely filtered out.
	if _, err := s.getRaw(directoryWordKey("liddell", "alice")); !errors.Is(err, ErrNotFound) {
		t.Errorf("stale index row for the old name: err = %v", err)
	}
	// A password change rewrites the account; the name stays indexed.
	b = s.NewBatch()
	b.PutAccount("alice", Account{PasswordHash: "new"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := searchLocalparts(t, s, "hearts", 10, nil); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("after account rewrite, search hearts = %q", got)
	}
}

// Deactivated users and guests have no index rows at all, and
// deactivation removes the rows a user had.
func TestDirectoryDropsUnlistedUsers(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	putDirectoryUsers(t, s, []testDirUser{
		{lp: "alice", name: "Alice Liddell"},
		{lp: "guest1", name: "Visitor", guest: true},
	})
	b := s.NewBatch()
	b.PutAccount("alice", Account{Deactivated: true})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	p := []byte{prefixDirectory}
	var rows [][]byte
	if err := s.scanPrefix(p, prefixEnd(p), func(k, _ []byte) (bool, error) {
		if k[1] != directoryBuilt {
			rows = append(rows, append([]byte(nil), k...))
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Fatalf("index rows left for a deactivated user and a guest: %q", rows)
	}
}

// A store written before the index existed is indexed on the first search.
func TestDirectoryIndexBuiltForOldStore(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	for _, lp := range []string{"alice", "bob"} {
		b.setJSON(accountKey(lp), Account{})
	}
	b.setJSON(profileKey("bob"), Profile{DisplayName: "Robert"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for term, want := range map[string][]string{"rob": {"bob"}, "alice": {"alice"}, "": {"alice", "bob"}} {
		if got, _ := searchLocalparts(t, s, term, 10, nil); !slices.Equal(got, want) {
			t.Errorf("search %q = %q, want %q", term, got, want)
		}
	}
}

// scanSearch is the directory search Axon had before the index: a walk
// over every account with a substring match, kept here as the benchmark's
// baseline.
func scanSearch(s *Store, term string, limit int) (int, error) {
	n := 0
	err := s.scanPrefix([]byte{prefixAccount}, []byte{prefixAccount + 1}, func(k, v []byte) (bool, error) {
		lp, _ := readComponent(k[1:])
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return false, err
		}
		if a.Deactivated || a.Guest {
			return true, nil
		}
		p, err := s.Profile(lp)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if !strings.Contains(lp, term) && !strings.Contains(strings.ToLower(p.DisplayName), term) {
			return true, nil
		}
		if n == limit {
			return false, nil
		}
		n++
		return true, nil
	})
	return n, err
}

// BenchmarkDirectorySearch compares the account walk with the index over
// 10,000 accounts, for a term one user matches and one 100 users match.
func BenchmarkDirectorySearch(b *testing.B) {
	s, err := Open("db", Options{FS: vfs.NewMem()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const users = 10000
	batch := s.NewBatch()
	for i := range users {
		lp := fmt.Sprintf("user%05d", i)
		batch.PutAccount(lp, Account{})
		batch.PutProfile(lp, Profile{DisplayName: fmt.Sprintf("Person %d Family%03d", i, i%100)})
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	accept := func(string) (bool, error) { return true, nil }
	if _, _, err := s.SearchDirectory([]string{"warm"}, 10, accept); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, term string }{{"one", "user09876"}, {"hundred", "family042"}} {
		b.Run("scan/"+q.name, func(b *testing.B) {
			for b.Loop() {
				if n, err := scanSearch(s, q.term, 10); err != nil || n == 0 {
					b.Fatalf("scan found %d, err %v", n, err)
				}
			}
		})
		b.Run("index/"+q.name, func(b *testing.B) {
			for b.Loop() {
				if ms, _, err := s.SearchDirectory(DirectoryWords(q.term), 10, accept); err != nil || len(ms) == 0 {
					b.Fatalf("index found %d, err %v", len(ms), err)
				}
			}
		})
	}
}

// FuzzDirectoryWords checks what the index keys rely on: every word is
// non-empty, fits a key, holds no 0x00 separator, appears once, and
// splitting the words again gives them back.
func FuzzDirectoryWords(f *testing.F) {
	for _, s := range []string{"", "Alice Liddell", "@bob:example.org", "a\x00b", "İstanbul", "ｆｕｌｌ", "e\u0301cole", "ß ẞ", "x\xffy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := DirectoryWords(s)
		for i, w := range words {
			if w == "" || len(w) > maxKeyComponentBytes || strings.IndexByte(w, 0) >= 0 {
				t.Fatalf("DirectoryWords(%q)[%d] = %q", s, i, w)
			}
			if slices.Contains(words[:i], w) {
				t.Fatalf("DirectoryWords(%q) repeats %q", s, w)
			}
		}
		if again := DirectoryWords(strings.Join(words, " ")); !slices.Equal(again, words) {
			t.Fatalf("DirectoryWords(%q) = %q, but splitting that again gives %q", s, words, again)
		}
	})
}
