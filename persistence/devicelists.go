package persistence

import (
	"fmt"
	"sync"
)

// The device-list change log (spec: client-server-api "Tracking the device
// list for a user") is one stream across all local users:
//
//	C | pos [8] → localpart whose devices or keys changed
//
// Unlike the per-user streams it has many writers (every user actor), so
// positions must become visible in order. Changes are rare (a login, a key
// upload, a deletion), so CommitDeviceListChange allocates the position and
// commits under one mutex: a position is visible as soon as it is handed
// out, and no watermark is needed.
type deviceListLog struct {
	mu     sync.Mutex
	loaded bool
	last   uint64
}

// deviceLists holds the log state of each open Store. A Store that is
// closed keeps its small entry; stores are opened once per process.
var deviceLists sync.Map // *Store → *deviceListLog

func (s *Store) deviceListLog() *deviceListLog {
	v, _ := deviceLists.LoadOrStore(s, &deviceListLog{})
	return v.(*deviceListLog)
}

func deviceListKey(pos uint64) []byte { return appendBE64([]byte{prefixDeviceListLog}, pos) }

// CommitDeviceListChange adds a change of localpart's device list to b,
// commits b durably and returns the change's position.
func (s *Store) CommitDeviceListChange(b *Batch, localpart string) (uint64, error) {
	l := s.deviceListLog()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		last, err := s.lastLogPosition()
		if err != nil {
			b.Close()
			return 0, err
		}
		l.last, l.loaded = last, true
	}
	pos := l.last + 1
	if b.check(localpart) {
		b.set(deviceListKey(pos), []byte(localpart))
	}
	if err := b.Commit(); err != nil {
		return 0, err
	}
	l.last = pos
	return pos, nil
}

// DeviceListPosition is the last position of the device-list change log.
func (s *Store) DeviceListPosition() (uint64, error) {
	l := s.deviceListLog()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		last, err := s.lastLogPosition()
		if err != nil {
			return 0, err
		}
		l.last, l.loaded = last, true
	}
	return l.last, nil
}

// DeviceListChanges returns the localparts whose device lists changed at
// positions in (from, to], each once, in order of their first change.
func (s *Store) DeviceListChanges(from, to uint64) ([]string, error) {
	if to <= from || to == ^uint64(0) {
		return nil, nil
	}
	seen := make(map[string]bool)
	var out []string
	err := s.scanPrefix(deviceListKey(from+1), deviceListKey(to+1), func(k, v []byte) (bool, error) {
		if len(k) != 9 {
			return false, fmt.Errorf("%w: device-list key", ErrCorrupt)
		}
		lp := string(v)
		if !seen[lp] {
			seen[lp] = true
			out = append(out, lp)
		}
		return true, nil
	})
	return out, err
}

// lastLogPosition reads the largest position of the change log.
func (s *Store) lastLogPosition() (uint64, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	if !it.SeekLT([]byte{prefixDeviceListLog + 1}) || len(it.Key()) == 0 || it.Key()[0] != prefixDeviceListLog {
		return 0, it.Error()
	}
	if len(it.Key()) != 9 {
		return 0, fmt.Errorf("%w: device-list key", ErrCorrupt)
	}
	return beU64(it.Key()[1:]), nil
}
