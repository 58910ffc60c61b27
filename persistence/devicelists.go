package persistence

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ErrInvalidRemoteUser is returned for a remote device-list change whose
// user is not a user ID.
var ErrInvalidRemoteUser = errors.New("persistence: not a remote user ID")

// The device-list change log (spec: client-server-api "Tracking the device
// list for a user") is one stream across all local users:
//
//	C | pos [8] → localpart whose devices or keys changed, or the full
//	              user ID ("@…") of a remote user whose cached list changed
//
// A localpart never starts with '@' (appendices "User Identifiers"), so
// the two kinds of entry cannot be confused.
//
// Unlike the per-user streams it has many writers (every user actor), so
// positions use the same contiguous watermark as the rooms' event stream
// (stream.go): a position is allocated, its batch commits outside any lock
// (so logins on different accounts still share fsyncs), and it becomes
// visible only once every lower position has settled.
type deviceListLog struct {
	once sync.Once
	err  error
	wm   watermark
}

// deviceLists holds the log state of each open Store. A Store that is
// closed keeps its small entry; stores are opened once per process.
var deviceLists sync.Map // *Store → *deviceListLog

func (s *Store) deviceListLog() (*deviceListLog, error) {
	v, _ := deviceLists.LoadOrStore(s, &deviceListLog{})
	l := v.(*deviceListLog)
	l.once.Do(func() {
		last, err := s.lastLogPosition()
		if err != nil {
			l.err = err
			return
		}
		l.wm = watermark{next: last, visible: last, settled: make(map[uint64]struct{}), changed: make(chan struct{})}
	})
	return l, l.err
}

func deviceListKey(pos uint64) []byte { return appendBE64([]byte{prefixDeviceListLog}, pos) }

// CommitDeviceListChange adds a change of localpart's device list to b,
// commits b durably and returns the change's position. The position is
// settled whether or not the commit succeeds, so a failed write never holds
// the watermark back.
func (s *Store) CommitDeviceListChange(b *Batch, localpart string) (uint64, error) {
	l, err := s.deviceListLog()
	if err != nil {
		b.Close()
		return 0, err
	}
	pos := l.wm.allocate()
	defer l.wm.settle([]uint64{pos})
	if b.check(localpart) {
		b.set(deviceListKey(pos), []byte(localpart))
	}
	if err := b.Commit(); err != nil {
		return 0, err
	}
	return pos, nil
}

// CommitRemoteDeviceListChange is CommitDeviceListChange for a remote
// user whose cached device list or cross-signing keys changed: local users
// sharing a room with them see the change in /sync's device_lists.changed
// and in /keys/changes.
func (s *Store) CommitRemoteDeviceListChange(b *Batch, userID string) (uint64, error) {
	pos, err := s.CommitRemoteDeviceListChanges(b, []string{userID})
	if err != nil {
		return 0, err
	}
	return pos[0], nil
}

// CommitRemoteDeviceListChanges adds one change per remote user ID to b
// and commits b durably: the changes of a whole inbound transaction cost
// one fsync. It returns their positions, in order.
func (s *Store) CommitRemoteDeviceListChanges(b *Batch, userIDs []string) ([]uint64, error) {
	for _, uid := range userIDs {
		if !strings.HasPrefix(uid, "@") {
			b.Close()
			return nil, fmt.Errorf("%w: %q is not a user ID", ErrInvalidRemoteUser, uid)
		}
	}
	l, err := s.deviceListLog()
	if err != nil {
		b.Close()
		return nil, err
	}
	pos := make([]uint64, len(userIDs))
	for i, uid := range userIDs {
		pos[i] = l.wm.allocate()
		if b.check(uid) {
			b.set(deviceListKey(pos[i]), []byte(uid))
		}
	}
	defer l.wm.settle(pos)
	if err := b.Commit(); err != nil {
		return nil, err
	}
	return pos, nil
}

// DeviceListPosition is the visible end of the device-list change log:
// every change at or below it has committed.
func (s *Store) DeviceListPosition() (uint64, error) {
	p, _, err := s.DeviceListChanged()
	return p, err
}

// DeviceListChanged returns the visible position and a channel closed when
// it next advances, for sync waiters.
func (s *Store) DeviceListChanged() (uint64, <-chan struct{}, error) {
	l, err := s.deviceListLog()
	if err != nil {
		return 0, nil, err
	}
	p, ch := l.wm.get()
	return p, ch, nil
}

// DeviceListChanges returns the localparts whose device lists changed at
// positions in (from, to], each once, in order of their first change.
// Remote users' changes are left out; DeviceListChangedUsers has both.
func (s *Store) DeviceListChanges(from, to uint64) ([]string, error) {
	all, err := s.deviceListEntries(from, to)
	out := all[:0]
	for _, e := range all {
		if !strings.HasPrefix(e, "@") {
			out = append(out, e)
		}
	}
	return out, err
}

// DeviceListChangedUsers returns the user IDs, local (of serverName) and
// remote, whose device lists changed at positions in (from, to], each
// once, in order of their first change.
func (s *Store) DeviceListChangedUsers(from, to uint64, serverName string) ([]string, error) {
	all, err := s.deviceListEntries(from, to)
	for i, e := range all {
		if !strings.HasPrefix(e, "@") {
			all[i] = "@" + e + ":" + serverName
		}
	}
	return all, err
}

// deviceListEntries reads the log's entries in (from, to], each once.
func (s *Store) deviceListEntries(from, to uint64) ([]string, error) {
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
