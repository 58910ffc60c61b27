package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// Account returns the account of localpart, or ErrNotFound.
func (s *Store) Account(localpart string) (Account, error) {
	var a Account
	if len(localpart) > maxKeyComponentBytes {
		return a, ErrNotFound
	}
	err := s.getJSON(accountKey(localpart), &a)
	return a, err
}

// PutAccount writes the account of localpart and keeps the user's
// directory index rows (userdirectory.go) in step with the stored profile.
func (b *Batch) PutAccount(localpart string, a Account) {
	if !b.check(localpart) {
		return
	}
	b.setJSON(accountKey(localpart), a)
	b.indexAccount(localpart, a)
}

// NextNumericLocalpart returns a fresh numeric localpart for registrations
// that name no user (guests, username-less registration). It counts up from
// the stored sequence and skips localparts already taken; the sequence moves
// forward even if the caller never uses the result.
func (s *Store) NextNumericLocalpart() (string, error) {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	var seq uint64
	val, closer, err := s.db.Get(sequenceKey("user_seq"))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return "", fmt.Errorf("persistence: reading sequence: %w", err)
	default:
		if len(val) == 8 {
			seq = binary.BigEndian.Uint64(val)
		}
		closer.Close()
	}
	for {
		seq++
		lp := strconv.FormatUint(seq, 10)
		if _, err := s.Account(lp); errors.Is(err, ErrNotFound) {
			if err := s.db.Set(sequenceKey("user_seq"), binary.BigEndian.AppendUint64(nil, seq), pebble.Sync); err != nil {
				return "", fmt.Errorf("persistence: writing sequence: %w", err)
			}
			return lp, nil
		} else if err != nil {
			return "", err
		}
	}
}
