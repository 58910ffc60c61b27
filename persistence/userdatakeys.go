package persistence

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Per-user data families (schema lines in keys.go). Every row is written
// only by the user actor of the localpart that begins its key, except the
// device-list change log, which every user actor appends to through
// CommitDeviceListChange.
const (
	prefixAccountData    byte = 'a'
	prefixE2EEKeys       byte = 'K'
	prefixToDevice       byte = 'v'
	prefixFilter         byte = 'f'
	prefixProfile        byte = 'p'
	prefixDeviceListLog  byte = 'C'
	subAccountDataRow    byte = 0
	subAccountDataByPos  byte = 1
	subAccountDataLast   byte = 2
	subDeviceKeys        byte = 0
	subOneTimeKey        byte = 1
	subFallbackKey       byte = 2
	subCrossSigningKey   byte = 3
	subForeignSignature  byte = 4
	subToDeviceLast      byte = 0
	subToDeviceMessage   byte = 1
	subToDeviceTxn       byte = 2
	maxUserDataListLimit      = 10_000
)

func userFamily(family, sub byte, localpart string) []byte {
	return appendComponent([]byte{family, sub}, localpart)
}

func appendBE64(k []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(k, v) }

func tooLong(components ...string) bool {
	for _, c := range components {
		if len(c) > maxKeyComponentBytes {
			return true
		}
	}
	return false
}

// scanPrefix calls f with every key (after the prefix) and value under
// prefix, in key order, until f returns false. Neither slice outlives f.
func (s *Store) scanPrefix(lower, upper []byte, f func(k, v []byte) (bool, error)) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("persistence: reading: %w", err)
		}
		more, err := f(it.Key(), v)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return it.Error()
}

// getRaw returns a copy of the value at key, or ErrNotFound.
func (s *Store) getRaw(key []byte) ([]byte, error) {
	val, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("persistence: get: %w", err)
	}
	defer closer.Close()
	return append([]byte(nil), val...), nil
}

func (s *Store) counterAt(key []byte) (uint64, error) {
	v, err := s.getRaw(key)
	if err == ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: counter of %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func (b *Batch) deleteRange(lower, upper []byte) {
	if b.err != nil {
		return
	}
	if err := b.b.DeleteRange(lower, upper, nil); err != nil {
		b.err = fmt.Errorf("persistence: batch delete range: %w", err)
	}
}
