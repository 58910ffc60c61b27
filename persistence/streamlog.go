package persistence

import (
	"fmt"
	"sync"
)

// streamLog is a stream with many writers whose positions must become
// visible in order (receipts, presence): a write allocates its position and
// commits under one mutex, so a position is visible as soon as it is handed
// out. Both streams change at human speed, which the mutex serves easily.
type streamLog struct {
	mu     sync.Mutex
	loaded bool
	last   uint64
}

// streamLogs holds the logs of each open Store, keyed by family.
var streamLogs sync.Map // streamLogKey → *streamLog

type streamLogKey struct {
	s      *Store
	family byte
}

func (s *Store) streamLog(family byte) *streamLog {
	v, _ := streamLogs.LoadOrStore(streamLogKey{s, family}, &streamLog{})
	return v.(*streamLog)
}

// logKey is family | 1 | pos: the log rows of a stream family.
func logKey(family byte, pos uint64) []byte { return appendBE64([]byte{family, 1}, pos) }

// lockedLast locks l and loads its last position on first use; the caller
// unlocks.
func (s *Store) lockedLast(family byte) (*streamLog, error) {
	l := s.streamLog(family)
	l.mu.Lock()
	if !l.loaded {
		last := uint64(0)
		err := s.scanLast([]byte{family, 1}, func(k []byte) error {
			if len(k) != 10 {
				return fmt.Errorf("%w: log key of family %q", ErrCorrupt, family)
			}
			last = beU64(k[2:])
			return nil
		})
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.last, l.loaded = last, true
	}
	return l, nil
}

// logPosition is the last position of a stream log.
func (s *Store) logPosition(family byte) (uint64, error) {
	l, err := s.lockedLast(family)
	if err != nil {
		return 0, err
	}
	defer l.mu.Unlock()
	return l.last, nil
}

// commitLogged allocates the next position of the family's log, lets fill
// add the rows for it to b, and commits b durably.
func (s *Store) commitLogged(family byte, b *Batch, fill func(pos uint64)) (uint64, error) {
	l, err := s.lockedLast(family)
	if err != nil {
		b.Close()
		return 0, err
	}
	defer l.mu.Unlock()
	pos := l.last + 1
	fill(pos)
	if err := b.Commit(); err != nil {
		return 0, err
	}
	l.last = pos
	return pos, nil
}

// scanLast calls f with the last key under prefix, if any.
func (s *Store) scanLast(prefix []byte, f func(k []byte) error) error {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	end := prefixEnd(prefix)
	if !it.SeekLT(end) {
		return it.Error()
	}
	k := it.Key()
	if len(k) < len(prefix) || string(k[:len(prefix)]) != string(prefix) {
		return nil
	}
	return f(k)
}
