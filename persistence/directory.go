package persistence

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Prefixes of the families the room read path owns (schema in keys.go).
const (
	prefixAlias     byte = 'A'
	prefixPublic    byte = 'P'
	prefixReport    byte = 'Q'
	prefixForgotten byte = 'F'
)

// The public room directory ('P') stores only which rooms are published:
// what the directory shows (name, topic, members) is read from the room's
// current state on every request, so it is never stale.
func publicKey(roomID string) []byte { return appendComponent([]byte{prefixPublic}, roomID) }

// SetPublished publishes roomID in the public room directory or withdraws
// it (PUT /directory/list/room/{roomId}).
func (s *Store) SetPublished(roomID string, published bool) error {
	if len(roomID) > maxKeyComponentBytes {
		return ErrKeyTooLong
	}
	b := s.NewBatch()
	if published {
		b.set(publicKey(roomID), nil)
	} else {
		b.delete(publicKey(roomID))
	}
	return b.Commit()
}

// SetPublished is Store.SetPublished inside a batch, for POST /createRoom
// with visibility public.
func (b *Batch) SetPublished(roomID string, published bool) {
	if !b.check(roomID) {
		return
	}
	if published {
		b.set(publicKey(roomID), nil)
	} else {
		b.delete(publicKey(roomID))
	}
}

// Published reports whether roomID is in the public room directory.
func (s *Store) Published(roomID string) (bool, error) {
	_, closer, err := s.db.Get(publicKey(roomID))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("persistence: get: %w", err)
	}
	_ = closer.Close()
	return true, nil
}

// PublishedRooms returns the published room IDs in key order (length, then
// bytes), which is stable across calls and so usable for pagination.
func (s *Store) PublishedRooms() ([]string, error) {
	p := []byte{prefixPublic}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: listing public rooms: %w", err)
	}
	defer it.Close()
	var out []string
	for it.First(); it.Valid(); it.Next() {
		id, ok := firstComponent(it.Key()[1:])
		if !ok {
			return nil, fmt.Errorf("%w: public room key", ErrCorrupt)
		}
		out = append(out, id)
	}
	return out, it.Error()
}
