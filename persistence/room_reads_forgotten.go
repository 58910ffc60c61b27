package persistence

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Forgotten rooms ('F'): F | lp(userID) | lp(roomID) → empty. A user who
// forgot a room no longer reads its history (client-server-api "Leaving
// rooms": POST /rooms/{roomId}/forget); joining again clears the row.
func forgottenKey(userID, roomID string) []byte {
	return appendComponent(appendComponent([]byte{prefixForgotten}, userID), roomID)
}

// SetForgotten records (or, with forgotten false, clears) that userID
// forgot roomID, inside the batch that also writes the membership.
func (b *Batch) SetForgotten(userID, roomID string, forgotten bool) {
	if !b.check(userID, roomID) {
		return
	}
	if forgotten {
		b.set(forgottenKey(userID, roomID), nil)
	} else {
		b.delete(forgottenKey(userID, roomID))
	}
}

// Forgotten reports whether userID forgot roomID.
func (s *Store) Forgotten(userID, roomID string) (bool, error) {
	_, closer, err := s.db.Get(forgottenKey(userID, roomID))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("persistence: get: %w", err)
	}
	_ = closer.Close()
	return true, nil
}
