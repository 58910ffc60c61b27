package client

import (
	"container/list"
	"sync"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// Lazy-loading room members without redundant membership events
// (client-server-api "Lazy-loading room members"): with lazy_load_members
// set and include_redundant_members false (the default), the server "MAY
// assume that clients will remember membership events they have already
// been sent" and skip them. sentMembers remembers, per device, which member
// event of each (room, user) it last sent and at which events position, so
// that an incremental /sync leaves out the ones the device already has.
//
// A device is taken to have an entry only when the entry was sent at or
// before the events position of the since token: a response the client
// never received (a dropped connection, a retry with an older token, a
// chain restarted from a saved token) ends past that position, so what it
// sent counts as unsent and is sent again. An initial sync starts a new
// chain and forgets everything of the device. Forgetting only makes
// responses redundant, which the spec permits, so the cache is bounded
// and in memory.

// Bounds of sentMembers: per device, and over all devices (the least
// recently syncing devices go first). An entry costs about 200 bytes, so
// the whole cache stays under about 50 MiB.
const (
	lazyMembersPerDevice = 4096
	lazyMembersTotal     = 1 << 18
)

// lazyDevice names one device of one user.
type lazyDevice struct{ userID, deviceID string }

// lazyMember names one member of one room.
type lazyMember struct{ roomID, userID string }

// sentMember is the member event last sent for a lazyMember and the
// events position of the response that sent it.
type sentMember struct {
	key lazyMember
	nid uint64
	at  uint64
}

// deviceMembers is what one device was sent, least recently used last.
type deviceMembers struct {
	key     lazyDevice
	entries map[lazyMember]*list.Element // of *sentMember in order
	order   *list.List
}

// sentMembers is the API's record of member events sent to lazily loading
// devices. Safe for concurrent use.
type sentMembers struct {
	mu        sync.Mutex
	devices   map[lazyDevice]*list.Element // of *deviceMembers in order
	order     *list.List
	total     int
	perDevice int
	maxTotal  int
}

func newSentMembers(perDevice, maxTotal int) *sentMembers {
	return &sentMembers{devices: map[lazyDevice]*list.Element{}, order: list.New(), perDevice: perDevice, maxTotal: maxTotal}
}

// forget drops everything sent to dev: its client starts a new chain of
// syncs and remembers nothing of the old one.
func (c *sentMembers) forget(dev lazyDevice) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.devices[dev]; ok {
		c.dropDevice(e)
	}
}

// has reports whether dev holds member event nid for m, sent in a response
// at or before since (the events position of the request's since token).
func (c *sentMembers) has(dev lazyDevice, m lazyMember, nid, since uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	de, ok := c.devices[dev]
	if !ok {
		return false
	}
	c.order.MoveToFront(de)
	d := de.Value.(*deviceMembers)
	e, ok := d.entries[m]
	if !ok {
		return false
	}
	s := e.Value.(*sentMember)
	if s.nid != nid || s.at > since {
		return false
	}
	d.order.MoveToFront(e)
	return true
}

// record notes that member event nid of m went to dev in a response built
// at events position at. An entry of the same event sent earlier is kept:
// the earlier position is the one a retried token still covers.
func (c *sentMembers) record(dev lazyDevice, m lazyMember, nid, at uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	de, ok := c.devices[dev]
	if !ok {
		de = c.order.PushFront(&deviceMembers{key: dev, entries: map[lazyMember]*list.Element{}, order: list.New()})
		c.devices[dev] = de
	}
	c.order.MoveToFront(de)
	d := de.Value.(*deviceMembers)
	if e, ok := d.entries[m]; ok {
		s := e.Value.(*sentMember)
		if s.nid != nid || s.at > at {
			s.nid, s.at = nid, at
		}
		d.order.MoveToFront(e)
		return
	}
	d.entries[m] = d.order.PushFront(&sentMember{key: m, nid: nid, at: at})
	c.total++
	if d.order.Len() > c.perDevice {
		old := d.order.Back()
		delete(d.entries, old.Value.(*sentMember).key)
		d.order.Remove(old)
		c.total--
	}
	for c.total > c.maxTotal && c.order.Back() != de {
		c.dropDevice(c.order.Back())
	}
}

func (c *sentMembers) dropDevice(e *list.Element) {
	d := e.Value.(*deviceMembers)
	c.total -= d.order.Len()
	delete(c.devices, d.key)
	c.order.Remove(e)
}

// lazyDevice is the device this sync is for.
func (b *syncBuilder) lazyDevice() lazyDevice {
	return lazyDevice{userID: b.req.userID, deviceID: b.req.s.DeviceID}
}

// dropsRedundantMembers reports whether this sync tracks and leaves out
// member events the device already has: lazy loading without
// include_redundant_members.
func (b *syncBuilder) dropsRedundantMembers() bool {
	sf := b.req.f.Room.State
	return sf.LazyLoadMembers && !sf.IncludeRedundantMembers
}

// memberSent reports whether an incremental sync may leave out member
// event nid of userID in roomID because the device already has it.
func (b *syncBuilder) memberSent(roomID, userID string, nid uint64) bool {
	if b.initial || !b.dropsRedundantMembers() {
		return false
	}
	return b.a.caches.lazy.has(b.lazyDevice(), lazyMember{roomID: roomID, userID: userID}, nid, b.since.Events)
}

// recordMembers notes the member events a response sends in a room's
// state and timeline, for the device's later incremental syncs.
func (b *syncBuilder) recordMembers(v *roomView, state, timeline []persistence.StoredEvent) error {
	if !b.dropsRedundantMembers() {
		return nil
	}
	dev := b.lazyDevice()
	for _, list := range [][]persistence.StoredEvent{state, timeline} {
		for _, se := range list {
			h, err := v.header(se)
			if err != nil {
				return err
			}
			if h.Type != event.TypeMember || h.StateKey == nil {
				continue
			}
			b.a.caches.lazy.record(dev, lazyMember{roomID: v.roomID, userID: *h.StateKey}, se.NID, b.to.Events)
		}
	}
	return nil
}
