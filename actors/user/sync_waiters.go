package user

import (
	"context"
	"sync/atomic"
)

// Waiter is one parked /sync request (client-server-api "Syncing": a
// long-poll waits up to its timeout for something to return). The user's
// actor keeps the user's waiters and wakes them with positions, never data;
// the woken request reads storage itself. Its channel holds at most one
// pending wake-up, so waking never blocks the actor.
type Waiter struct {
	ch       chan struct{}
	eventPos atomic.Uint64
}

// NewWaiter returns a waiter with nothing pending.
func NewWaiter() *Waiter { return &Waiter{ch: make(chan struct{}, 1)} }

// C is signalled when something of the user may have changed.
func (w *Waiter) C() <-chan struct{} { return w.ch }

// EventPosition is the highest room-event stream position the waiter was
// woken for: the request waits for the visible watermark to reach it
// before reading, so that a room commit that settles after a lower
// position still pending is not missed.
func (w *Waiter) EventPosition() uint64 { return w.eventPos.Load() }

func (w *Waiter) wake(eventPos uint64) {
	for {
		cur := w.eventPos.Load()
		if eventPos <= cur || w.eventPos.CompareAndSwap(cur, eventPos) {
			break
		}
	}
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// DeviceListHook hears that a local user's device list or keys changed, to
// wake the users who share a room with them. It runs on the user's actor,
// so it must not block.
type DeviceListHook func(localpart string)

// OnDeviceListChange installs the device-list hook; nil removes it.
func (d *Directory) OnDeviceListChange(h DeviceListHook) {
	if h == nil {
		d.syncHooks.deviceList.Store(nil)
		return
	}
	d.syncHooks.deviceList.Store(&h)
}

// syncHooks are the directory's hooks for /sync wake-ups.
type syncHooks struct {
	deviceList atomic.Pointer[DeviceListHook]
}

// park registers a waiter with the user's actor.
type park struct{ w *Waiter }

func (p park) apply(s *state) (any, error) {
	if s.waiters == nil {
		s.waiters = make(map[*Waiter]struct{})
	}
	s.waiters[p.w] = struct{}{}
	return nil, nil
}

// unpark removes a waiter.
type unpark struct{ w *Waiter }

func (p unpark) apply(s *state) (any, error) {
	delete(s.waiters, p.w)
	return nil, nil
}

// quietCommand marks commands that change nothing a sync returns.
type quietCommand interface{ quiet() }

func (park) quiet()   {}
func (unpark) quiet() {}
func (touch) quiet()  {}

// wake carries a new room-event position to a user's actor.
type wake struct {
	localpart string
	eventPos  uint64
}

// Park registers w with localpart's actor and returns once it is
// registered: anything that changes for the user afterwards wakes it. The
// caller must Unpark it when done.
func (d *Directory) Park(ctx context.Context, localpart string, w *Waiter) error {
	_, err := d.Do(ctx, localpart, park{w: w})
	return err
}

// Unpark removes w without waiting.
func (d *Directory) Unpark(localpart string, w *Waiter) {
	if d.stopped.Load() {
		return
	}
	d.root.Send(d.shardFor(localpart), &envelope{localpart: localpart, cmd: unpark{w: w}})
}

// Wake tells the actors of localparts that something of theirs reached
// stream position eventPos (0 for streams other than room events). Users
// without a live actor have no parked requests and are skipped.
func (d *Directory) Wake(localparts []string, eventPos uint64) {
	if d.stopped.Load() {
		return
	}
	for _, lp := range localparts {
		d.root.Send(d.shardFor(lp), &wake{localpart: lp, eventPos: eventPos})
	}
}

// wakeWaiters signals every parked request of the user.
func (s *state) wakeWaiters(eventPos uint64) {
	for w := range s.waiters {
		w.wake(eventPos)
	}
}

// afterCommand wakes the user's own parked requests after a command that
// may have changed what they sync (account data, to-device, keys), and
// tells the device-list hook when the device-list log moved.
func (s *state) afterCommand(cmd Command, deviceListBefore uint64) {
	if _, ok := cmd.(quietCommand); ok {
		return
	}
	s.wakeWaiters(0)
	if s.hooks == nil {
		return
	}
	h := s.hooks.deviceList.Load()
	if h == nil {
		return
	}
	if after, err := s.store.DeviceListPosition(); err == nil && after > deviceListBefore {
		(*h)(s.localpart)
	}
}

// deviceListBefore reads the device-list position before a command runs.
func (s *state) deviceListBefore(cmd Command) uint64 {
	if _, ok := cmd.(quietCommand); ok || s.hooks == nil || s.hooks.deviceList.Load() == nil {
		return 0
	}
	p, _ := s.store.DeviceListPosition()
	return p
}
