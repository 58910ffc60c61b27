package persistence

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// counter hands out increasing numbers, starting after the largest one
// already used in the store.
type counter struct {
	mu   sync.Mutex
	last uint64
}

func (c *counter) next() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last++
	return c.last
}

// watermark tracks the global stream ordering. Positions are handed out in
// order but their batches commit out of order (rooms commit concurrently), so
// a position becomes visible only when every lower one has committed or been
// abandoned: readers never skip an event that commits later below what they
// have already read.
type watermark struct {
	mu      sync.Mutex
	next    uint64 // last position handed out
	visible uint64 // every position ≤ visible is settled
	settled map[uint64]struct{}
	changed chan struct{}
}

func (w *watermark) allocate() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	return w.next
}

// settle marks positions as committed (or abandoned after a failed commit)
// and advances the visible watermark over every contiguous settled position.
func (w *watermark) settle(positions []uint64) {
	if len(positions) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range positions {
		w.settled[p] = struct{}{}
	}
	advanced := false
	for {
		if _, ok := w.settled[w.visible+1]; !ok {
			break
		}
		delete(w.settled, w.visible+1)
		w.visible++
		advanced = true
	}
	if advanced {
		close(w.changed)
		w.changed = make(chan struct{})
	}
}

func (w *watermark) get() (uint64, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.visible, w.changed
}

// roomSequences are the room families' counters, loaded on first use from
// the largest key of each family.
type roomSequences struct {
	once   sync.Once
	err    error
	nid    counter
	group  counter
	stream watermark
}

func (s *Store) sequences() (*roomSequences, error) {
	r := &s.rooms
	r.once.Do(func() {
		var err error
		if r.nid.last, err = s.lastU64(prefixEvent); err != nil {
			r.err = err
			return
		}
		if r.group.last, err = s.lastU64(prefixStateGroup); err != nil {
			r.err = err
			return
		}
		last, err := s.lastU64(prefixStream)
		if err != nil {
			r.err = err
			return
		}
		r.stream = watermark{next: last, visible: last, settled: make(map[uint64]struct{}), changed: make(chan struct{})}
	})
	return r, r.err
}

// lastU64 returns the big-endian number after the family byte of the
// family's last key, or 0 when the family is empty.
func (s *Store) lastU64(family byte) (uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{family}, UpperBound: []byte{family + 1}})
	if err != nil {
		return 0, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		return 0, it.Error()
	}
	k := it.Key()
	if len(k) != 9 {
		return 0, fmt.Errorf("%w: key of family %q has %d bytes", ErrCorrupt, family, len(k))
	}
	return beU64(k[1:]), nil
}

// StreamPosition is the visible end of the global stream ordering: every
// event at or below it has committed. Readers of the stream (sync) read up
// to it and no further.
func (s *Store) StreamPosition() (uint64, error) {
	r, err := s.sequences()
	if err != nil {
		return 0, err
	}
	p, _ := r.stream.get()
	return p, nil
}

// StreamChanged returns the visible position and a channel closed when it
// next advances; sync waiters park on it.
func (s *Store) StreamChanged() (uint64, <-chan struct{}, error) {
	r, err := s.sequences()
	if err != nil {
		return 0, nil, err
	}
	p, ch := r.stream.get()
	return p, ch, nil
}

var errShortValue = errors.New("persistence: short value")

func beU64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}
