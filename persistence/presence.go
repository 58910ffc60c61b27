package persistence

import (
	"errors"
	"fmt"
)

// Presence (spec: client-server-api module "Presence") is one stream
// across local users, written by the HTTP edge under the stream-log mutex
// (streamlog.go):
//
//	z | 0 | lp(userID) → Presence
//	z | 1 | pos        → userID: the presence stream
//
// An update deletes the user's previous stream row, so the log holds one
// row per user and a sync reads only the users that changed.
const (
	prefixPresence   byte = 'z'
	subPresenceState byte = 0
)

// Presence is one user's presence.
type Presence struct {
	UserID          string `json:"-"`
	Presence        string `json:"presence"`
	StatusMsg       string `json:"status_msg,omitempty"`
	LastActiveTS    int64  `json:"last_active_ts"`
	CurrentlyActive bool   `json:"currently_active,omitempty"`
	Pos             uint64 `json:"pos"`
}

func presenceKey(userID string) []byte {
	return appendComponent([]byte{prefixPresence, subPresenceState}, userID)
}

// PutPresence stores p for p.UserID and returns its stream position.
func (s *Store) PutPresence(p Presence) (uint64, error) {
	return s.PutPresences([]Presence{p})
}

// PutPresences stores several users' presence in one durable commit at
// consecutive stream positions and returns the last; a user listed twice
// keeps the later entry. The presence sweeper times many users out at
// once, and one fsync serves them all.
func (s *Store) PutPresences(ps []Presence) (uint64, error) {
	for _, p := range ps {
		if tooLong(p.UserID) {
			return 0, ErrKeyTooLong
		}
	}
	if len(ps) == 0 {
		return s.PresencePosition()
	}
	l, err := s.lockedLast(prefixPresence)
	if err != nil {
		return 0, err
	}
	defer l.mu.Unlock()
	b := s.NewBatch()
	written := make(map[string]uint64, len(ps)) // userID → position in b
	pos := l.last
	for _, p := range ps {
		pos++
		if prev, ok := written[p.UserID]; ok {
			b.delete(logKey(prefixPresence, prev))
		} else {
			var old Presence
			if err := s.getJSON(presenceKey(p.UserID), &old); err == nil && old.Pos != 0 {
				b.delete(logKey(prefixPresence, old.Pos))
			}
		}
		written[p.UserID] = pos
		p.Pos = pos
		b.setJSON(presenceKey(p.UserID), p)
		b.set(logKey(prefixPresence, pos), []byte(p.UserID))
	}
	if err := b.Commit(); err != nil {
		return 0, err
	}
	l.last = pos
	return pos, nil
}

// PresenceOf returns a user's stored presence, or ErrNotFound.
func (s *Store) PresenceOf(userID string) (Presence, error) {
	var p Presence
	if tooLong(userID) {
		return p, ErrNotFound
	}
	err := s.getJSON(presenceKey(userID), &p)
	p.UserID = userID
	return p, err
}

// PresencePosition is the last position of the presence stream.
func (s *Store) PresencePosition() (uint64, error) { return s.logPosition(prefixPresence) }

// PresenceSince returns the presence of the users whose presence changed
// at positions in (from, to], in order.
func (s *Store) PresenceSince(from, to uint64) ([]Presence, error) {
	if to <= from {
		return nil, nil
	}
	var out []Presence
	err := s.scanPrefix(logKey(prefixPresence, from+1), logKey(prefixPresence, to+1), func(k, v []byte) (bool, error) {
		if len(k) != 10 {
			return false, fmt.Errorf("%w: presence log key", ErrCorrupt)
		}
		p, err := s.PresenceOf(string(v))
		if err == ErrNotFound {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		out = append(out, p)
		return true, nil
	})
	return out, err
}

// ReplacePresenceAt stores p only while p.UserID's stored presence is
// still the one written at position at, and reports whether it did. The
// check and the write happen under the stream's lock, which every
// presence write takes, so an update that lands in between wins: the
// sweeper uses it to time out a remote user without overwriting news of
// them.
func (s *Store) ReplacePresenceAt(p Presence, at uint64) (bool, error) {
	if tooLong(p.UserID) {
		return false, ErrKeyTooLong
	}
	l, err := s.lockedLast(prefixPresence)
	if err != nil {
		return false, err
	}
	defer l.mu.Unlock()
	var old Presence
	switch err := s.getJSON(presenceKey(p.UserID), &old); {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	if old.Pos != at {
		return false, nil
	}
	b := s.NewBatch()
	pos := l.last + 1
	b.delete(logKey(prefixPresence, old.Pos))
	p.Pos = pos
	b.setJSON(presenceKey(p.UserID), p)
	b.set(logKey(prefixPresence, pos), []byte(p.UserID))
	if err := b.Commit(); err != nil {
		return false, err
	}
	l.last = pos
	return true, nil
}
