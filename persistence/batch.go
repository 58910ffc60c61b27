package persistence

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Batch collects writes that commit together or not at all. A Batch that is
// never committed must be closed with Close; Commit closes it.
type Batch struct {
	b   *pebble.Batch
	err error
	// src is the store the batch will commit to, for writes that must read
	// what they replace (the user directory index, userdirectory.go); nil
	// in batches made without NewBatch.
	src *Store
}

// NewBatch starts an empty batch.
func (s *Store) NewBatch() *Batch { return &Batch{b: s.db.NewBatch(), src: s} }

func (b *Batch) setJSON(key []byte, v any) {
	if b.err != nil {
		return
	}
	val, err := json.Marshal(v)
	if err != nil {
		b.err = fmt.Errorf("persistence: encoding: %w", err)
		return
	}
	if err := b.b.Set(key, val, nil); err != nil {
		b.err = fmt.Errorf("persistence: batch set: %w", err)
	}
}

func (b *Batch) set(key, val []byte) {
	if b.err != nil {
		return
	}
	if err := b.b.Set(key, val, nil); err != nil {
		b.err = fmt.Errorf("persistence: batch set: %w", err)
	}
}

func (b *Batch) delete(key []byte) {
	if b.err != nil {
		return
	}
	if err := b.b.Delete(key, nil); err != nil {
		b.err = fmt.Errorf("persistence: batch delete: %w", err)
	}
}

func (b *Batch) check(components ...string) bool {
	if b.err != nil {
		return false
	}
	for _, c := range components {
		if len(c) > maxKeyComponentBytes {
			b.err = ErrKeyTooLong
			return false
		}
	}
	return true
}

// Commit writes the batch durably (fsync) and closes it. If any earlier call
// failed, nothing is written and that error is returned.
func (b *Batch) Commit() error {
	defer b.b.Close()
	if b.err != nil {
		return b.err
	}
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("persistence: commit: %w", err)
	}
	return nil
}

// CommitNoSync writes the batch without waiting for fsync: for data a crash
// may lose without harm (device last-seen times).
func (b *Batch) CommitNoSync() error {
	defer b.b.Close()
	if b.err != nil {
		return b.err
	}
	if err := b.b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("persistence: commit: %w", err)
	}
	return nil
}

// Close discards an uncommitted batch.
func (b *Batch) Close() { _ = b.b.Close() }
