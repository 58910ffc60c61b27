package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// PutNonce stores a single-use nonce valid until expiresMS.
func (s *Store) PutNonce(nonce string, expiresMS int64) error {
	if len(nonce) > maxKeyComponentBytes {
		return ErrKeyTooLong
	}
	if err := s.db.Set(nonceKey(nonce), binary.BigEndian.AppendUint64(nil, uint64(expiresMS)), pebble.Sync); err != nil {
		return fmt.Errorf("persistence: storing nonce: %w", err)
	}
	return nil
}

// ConsumeNonce deletes the nonce and reports ErrNonceUnknown if it was never
// issued, already consumed or expired at nowMS. A nonce is consumed by the
// first attempt, successful or not, so a replay always fails.
func (s *Store) ConsumeNonce(nonce string, nowMS int64) error {
	if len(nonce) > maxKeyComponentBytes {
		return ErrNonceUnknown
	}
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	key := nonceKey(nonce)
	val, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return ErrNonceUnknown
	}
	if err != nil {
		return fmt.Errorf("persistence: reading nonce: %w", err)
	}
	var expires int64
	if len(val) == 8 {
		expires = int64(binary.BigEndian.Uint64(val))
	}
	closer.Close()
	if err := s.db.Delete(key, pebble.Sync); err != nil {
		return fmt.Errorf("persistence: consuming nonce: %w", err)
	}
	if nowMS >= expires {
		return ErrNonceUnknown
	}
	return nil
}

// PruneNonces deletes nonces that expired before nowMS and returns how many.
func (s *Store) PruneNonces(nowMS int64) (int, error) {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	prefix := []byte{prefixNonce}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return 0, fmt.Errorf("persistence: iterating nonces: %w", err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		val := it.Value()
		if len(val) != 8 || int64(binary.BigEndian.Uint64(val)) < nowMS {
			if err := b.Delete(it.Key(), nil); err != nil {
				it.Close()
				return 0, fmt.Errorf("persistence: pruning nonce: %w", err)
			}
			n++
		}
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("persistence: iterating nonces: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, fmt.Errorf("persistence: pruning nonces: %w", err)
	}
	return n, nil
}
