package persistence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The user directory index ('N', schema in keys.go) maps the lowercased
// words of every local user's localpart and display name to the user, so
// POST /user_directory/search reads the users whose words start with the
// searched ones instead of every account:
//
//	N | 0 | word | 0x00 | localpart → empty: a word of the user's localpart or display name
//	N | 1 | lp(localpart)          → JSON []string: the words indexed for the user now
//	N | 2                          → empty: every account written before the index existed is indexed
//
// A word never holds 0x00 (it is made of letters and digits) and neither
// does a localpart (appendices.md "User Identifiers"), so the separator is
// unambiguous and a prefix scan over N|0|"ali" finds "alice" and "alison".
// Deactivated users and guests have no rows. Rows may go stale (a batch
// made without NewBatch cannot read the words it replaces); search checks
// every candidate against its current account and profile, so a stale row
// costs a lookup, never a wrong result.
const prefixDirectory byte = 'N'

const (
	directoryWord  byte = 0
	directoryUser  byte = 1
	directoryBuilt byte = 2
)

// ErrDirectoryWord is returned for a word that cannot be a key.
var ErrDirectoryWord = errors.New("persistence: directory word is empty or too long")

func directoryWordPrefix(word string) []byte {
	return append([]byte{prefixDirectory, directoryWord}, word...)
}

func directoryWordKey(word, localpart string) []byte {
	k := append(directoryWordPrefix(word), 0)
	return append(k, localpart...)
}

func directoryUserKey(localpart string) []byte {
	return appendComponent([]byte{prefixDirectory, directoryUser}, localpart)
}

// DirectoryWords splits s into the lowercased runs of letters and digits
// the directory indexes and searches by, without duplicates, in order of
// first appearance.
func DirectoryWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}) {
		if len(w) <= maxKeyComponentBytes && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// userDirectoryWords are the words a user is found by.
func userDirectoryWords(localpart, displayName string) []string {
	return DirectoryWords(localpart + " " + displayName)
}

// indexDirectory makes the index rows of localpart the words of
// localpart and displayName, or none when the user is not listed
// (deactivated or a guest), deleting the rows of words it no longer has.
func (b *Batch) indexDirectory(localpart, displayName string, listed bool) {
	if !b.check(localpart) {
		return
	}
	var words []string
	if listed {
		words = userDirectoryWords(localpart, displayName)
	}
	if b.src != nil {
		var old []string
		err := b.src.getJSON(directoryUserKey(localpart), &old)
		if err != nil && !errors.Is(err, ErrNotFound) {
			b.err = err
			return
		}
		for _, w := range old {
			if !slices.Contains(words, w) {
				b.delete(directoryWordKey(w, localpart))
			}
		}
	}
	for _, w := range words {
		b.set(directoryWordKey(w, localpart), nil)
	}
	if listed {
		b.setJSON(directoryUserKey(localpart), words)
	} else {
		b.delete(directoryUserKey(localpart))
	}
}

// listedInDirectory is whether an account belongs in the user directory.
func listedInDirectory(a Account) bool { return !a.Deactivated && !a.Guest }

// indexProfile re-indexes localpart for a new display name, listing the
// user unless the stored account is deactivated or a guest's.
func (b *Batch) indexProfile(localpart, displayName string) {
	listed := true
	if b.src != nil {
		a, err := b.src.Account(localpart)
		switch {
		case err == nil:
			listed = listedInDirectory(a)
		case !errors.Is(err, ErrNotFound):
			b.err = err
			return
		}
	}
	b.indexDirectory(localpart, displayName, listed)
}

// indexAccount re-indexes localpart after its account changed, with the
// stored display name.
func (b *Batch) indexAccount(localpart string, a Account) {
	var displayName string
	if b.src != nil {
		p, err := b.src.Profile(localpart)
		if err != nil && !errors.Is(err, ErrNotFound) {
			b.err = err
			return
		}
		displayName = p.DisplayName
	}
	b.indexDirectory(localpart, displayName, listedInDirectory(a))
}

// DirectoryMatch is one user found by SearchDirectory.
type DirectoryMatch struct {
	Localpart string
	Profile
}

// SearchDirectory returns up to limit live, non-guest local users every
// one of whose query words starts one of the user's words, and for whom
// accept is true, and whether more would have matched. With no query
// words every user is a candidate (in localpart key order); otherwise the
// candidates are the index rows of the longest query word. accept is the
// caller's visibility rule and runs only on users that match the words.
func (s *Store) SearchDirectory(query []string, limit int, accept func(localpart string) (bool, error)) ([]DirectoryMatch, bool, error) {
	if err := s.ensureDirectoryIndex(); err != nil {
		return nil, false, err
	}
	var out []DirectoryMatch
	limited := false
	seen := map[string]bool{}
	consider := func(lp string) (bool, error) {
		if seen[lp] {
			return true, nil
		}
		seen[lp] = true
		m, ok, err := s.directoryCandidate(lp, query)
		if err != nil || !ok {
			return err == nil, err
		}
		if ok, err = accept(lp); err != nil || !ok {
			return err == nil, err
		}
		if len(out) == limit {
			limited = true
			return false, nil
		}
		out = append(out, m)
		return true, nil
	}
	var err error
	if len(query) == 0 {
		p := []byte{prefixDirectory, directoryUser}
		err = s.scanPrefix(p, prefixEnd(p), func(k, _ []byte) (bool, error) {
			lp, ok := readComponent(k[2:])
			if !ok {
				return false, fmt.Errorf("%w: directory user key", ErrCorrupt)
			}
			return consider(lp)
		})
	} else {
		longest := slices.MaxFunc(query, func(a, b string) int { return len(a) - len(b) })
		if longest == "" || len(longest) > maxKeyComponentBytes {
			return nil, false, ErrDirectoryWord
		}
		p := directoryWordPrefix(longest)
		err = s.scanPrefix(p, prefixEnd(p), func(k, _ []byte) (bool, error) {
			i := bytes.IndexByte(k[len(p):], 0)
			if i < 0 {
				return false, fmt.Errorf("%w: directory word key", ErrCorrupt)
			}
			return consider(string(k[len(p)+i+1:]))
		})
	}
	return out, limited, err
}

// directoryCandidate checks lp against its current account and profile:
// live, not a guest, and every query word the start of one of its words.
func (s *Store) directoryCandidate(lp string, query []string) (DirectoryMatch, bool, error) {
	a, err := s.Account(lp)
	if errors.Is(err, ErrNotFound) {
		return DirectoryMatch{}, false, nil
	}
	if err != nil || a.Deactivated || a.Guest {
		return DirectoryMatch{}, false, err
	}
	p, err := s.Profile(lp)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return DirectoryMatch{}, false, err
	}
	words := userDirectoryWords(lp, p.DisplayName)
	for _, q := range query {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return DirectoryMatch{}, false, nil
		}
	}
	return DirectoryMatch{Localpart: lp, Profile: p}, true, nil
}

// ensureDirectoryIndex indexes every account once, for stores written
// before the index existed; later writes keep it current.
func (s *Store) ensureDirectoryIndex() error {
	built := []byte{prefixDirectory, directoryBuilt}
	if _, err := s.getRaw(built); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	if _, err := s.getRaw(built); err == nil {
		return nil
	}
	b := s.NewBatch()
	err := s.scanPrefix([]byte{prefixAccount}, []byte{prefixAccount + 1}, func(k, v []byte) (bool, error) {
		lp, ok := readComponent(k[1:])
		if !ok {
			return false, fmt.Errorf("%w: account key", ErrCorrupt)
		}
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		b.indexAccount(lp, a)
		return b.err == nil, b.err
	})
	if err != nil {
		b.b.Close()
		return err
	}
	b.set(built, nil)
	return b.Commit()
}
