package client

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/http/client/push"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// Limits of one sync response.
const (
	defaultTimelineLimit = 10
	maxTimelineLimit     = 1000
	maxToDevicePerSync   = 100
)

// syncBuilder assembles one response from storage, reading each stream
// from the since token's position up to the positions in `to`.
type syncBuilder struct {
	a       *API
	req     *syncRequest
	since   syncToken // zero for an initial sync
	initial bool
	to      syncToken
	now     int64

	ignored         map[string]bool
	roomAccountData map[string][]json.RawMessage
	receipts        map[string][]persistence.Receipt   // incremental: changed receipts by room
	changed, left   map[string]bool                    // device_lists
	levels          powerLevels                        // of the room whose unread counts are being read
	events          map[uint64]persistence.StoredEvent // read once per sync (event)
	joined          map[string]bool                    // the caller's joined rooms (rooms)
	moved           map[string]bool                    // incremental: rooms with events since the token, when read at once (quiet)
	rules           *push.Ruleset                      // the default push rules, built on first use
	resp            *syncResponse
}

// buildSync reads everything of the user between req.since and cur.
func (a *API) buildSync(req *syncRequest, cur syncToken) (*syncResponse, error) {
	if req.since != nil && !req.fullState && cur == *req.since {
		return a.unchangedSync(req, cur)
	}
	b := &syncBuilder{a: a, req: req, to: cur, now: a.readNow(), initial: req.since == nil,
		changed: map[string]bool{}, left: map[string]bool{}, resp: &syncResponse{}}
	if req.since != nil {
		b.since = *req.since
	} else {
		a.caches.lazy.forget(b.lazyDevice()) // a new chain of syncs (sync_lazy.go)
	}
	var err error
	if b.ignored, err = a.ignoredUsers(req.s.Localpart, cur.AccountData); err != nil {
		return nil, fmt.Errorf("ignored users: %w", err)
	}
	steps := []func() error{b.accountData, b.toDevice, b.loadReceipts, b.rooms, b.presence, b.deviceLists, b.keyCounts}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	b.resp.NextBatch = b.to.String()
	return b.resp, nil
}

// accountData fills the global account data and sorts room account data
// by room (spec: "Client Config": changes since the token).
func (b *syncBuilder) accountData() error {
	b.roomAccountData = map[string][]json.RawMessage{}
	if !b.initial && b.since.AccountData >= b.to.AccountData {
		return nil // nothing moved: skip the read
	}
	entries, err := b.a.cfg.Store.AccountDataSince(b.req.s.Localpart, b.since.AccountData, 0)
	if err != nil {
		return err
	}
	var global []json.RawMessage
	for _, e := range entries {
		if e.Pos > b.to.AccountData {
			continue
		}
		ev := rawOf(map[string]any{"type": e.Type, "content": e.Content})
		if e.RoomID == "" {
			if b.req.f.AccountData.Match(filter.Event{Type: e.Type}) {
				global = append(global, ev)
			}
			continue
		}
		if b.req.f.Room.AccountData.Match(filter.Event{Type: e.Type, RoomID: e.RoomID}) {
			b.roomAccountData[e.RoomID] = append(b.roomAccountData[e.RoomID], ev)
		}
	}
	b.resp.AccountData = listOf(global)
	return nil
}

// toDevice delivers the device's inbox after the token's position; the
// next token acknowledges them, and a since token that acknowledges
// messages still stored deletes them (spec: "Send-to-Device messaging":
// "deleted once the client has acknowledged them").
func (b *syncBuilder) toDevice() error {
	s := b.req.s
	st := b.a.cfg.Store
	if b.since.ToDevice > 0 {
		oldest, err := st.ToDeviceSince(s.Localpart, s.DeviceID, 0, 1)
		if err != nil {
			return err
		}
		if len(oldest) > 0 && oldest[0].Pos <= b.since.ToDevice {
			if _, err := b.a.doUser(s.Localpart, user.AckToDevice{DeviceID: s.DeviceID, UpTo: b.since.ToDevice}); err != nil {
				return err
			}
		}
	}
	if !b.initial && b.since.ToDevice >= b.to.ToDevice {
		b.to.ToDevice = b.since.ToDevice
		return nil // the inbox has nothing after the token
	}
	msgs, err := st.ToDeviceSince(s.Localpart, s.DeviceID, b.since.ToDevice, maxToDevicePerSync)
	if err != nil {
		return err
	}
	b.to.ToDevice = b.since.ToDevice
	var events []json.RawMessage
	for _, m := range msgs {
		events = append(events, rawOf(map[string]any{"sender": m.Sender, "type": m.Type, "content": m.Content}))
		b.to.ToDevice = m.Pos
	}
	b.resp.ToDevice = listOf(events)
	return nil
}

// loadReceipts reads the receipts that changed since the token, by room.
func (b *syncBuilder) loadReceipts() error {
	if b.initial || b.since.Receipts >= b.to.Receipts {
		return nil
	}
	rs, err := b.a.cfg.Store.ReceiptsSince(b.since.Receipts, b.to.Receipts)
	if err != nil {
		return err
	}
	b.receipts = map[string][]persistence.Receipt{}
	for _, r := range rs {
		b.receipts[r.RoomID] = append(b.receipts[r.RoomID], r)
	}
	return nil
}

// deviceLists reports the users whose devices changed and who share a
// room with the caller, and those who stopped sharing any (spec:
// "Tracking the device list for a user"). An initial sync has none.
func (b *syncBuilder) deviceLists() error {
	if b.initial {
		return nil
	}
	// Local and remote users alike (remote ones from inbound
	// m.device_list_update and m.signing_key_update EDUs).
	uids, err := b.a.cfg.Store.DeviceListChangedUsers(b.since.DeviceLists, b.to.DeviceLists, b.a.cfg.ServerName)
	if err != nil {
		return err
	}
	if len(uids)+len(b.changed)+len(b.left) == 0 {
		return nil
	}
	// Members seen joining a shared room (b.changed) share it by
	// construction; users from the change log and those seen leaving are
	// checked against the caller's rooms.
	// Whichever is cheaper: each changed user's rooms against the
	// caller's, or the members of the caller's rooms once.
	var sharing map[string]bool
	if len(uids) > len(b.joined) {
		if sharing, err = b.sharingUsers(); err != nil {
			return err
		}
	}
	for _, uid := range uids {
		if b.changed[uid] {
			continue
		}
		shares := sharing[uid]
		if sharing == nil {
			if shares, err = b.shares(uid); err != nil {
				return err
			}
		}
		if uid == b.req.userID || shares {
			b.changed[uid] = true
		}
	}
	for uid := range b.left {
		shares, err := b.shares(uid)
		if err != nil {
			return err
		}
		if shares {
			delete(b.left, uid)
		} else {
			delete(b.changed, uid)
		}
	}
	if len(b.changed)+len(b.left) == 0 {
		return nil
	}
	dl := &deviceLists{}
	for uid := range b.changed {
		dl.Changed = append(dl.Changed, uid)
	}
	for uid := range b.left {
		dl.Left = append(dl.Left, uid)
	}
	slices.Sort(dl.Changed)
	slices.Sort(dl.Left)
	b.resp.DeviceLists = dl
	return nil
}

// keyCounts reports the device's one-time key counts and unused fallback
// key algorithms (spec: "End-to-End Encryption", sync extensions).
func (b *syncBuilder) keyCounts() error {
	s := b.req.s
	counts, err := b.a.cfg.Store.OneTimeKeyCounts(s.Localpart, s.DeviceID)
	if err != nil {
		return err
	}
	if counts == nil {
		counts = map[string]int{}
	}
	b.resp.OTKCounts = counts
	fbs, err := b.a.cfg.Store.FallbackKeys(s.Localpart, s.DeviceID)
	if err != nil {
		return err
	}
	b.resp.UnusedFallback = []string{}
	for alg, fk := range fbs {
		if !fk.Used {
			b.resp.UnusedFallback = append(b.resp.UnusedFallback, alg)
		}
	}
	slices.Sort(b.resp.UnusedFallback)
	return nil
}

// presence reports the presence of users who share a room with the
// caller, changed since the token; nothing when presence is off.
func (b *syncBuilder) presence() error {
	if !b.a.cfg.UsePresence {
		return nil
	}
	ps, err := b.a.cfg.Store.PresenceSince(b.since.Presence, b.to.Presence)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return nil
	}
	var events []json.RawMessage
	for _, p := range ps {
		if p.UserID != b.req.userID {
			shares, err := b.shares(p.UserID)
			if err != nil {
				return err
			}
			if !shares {
				continue
			}
		}
		if !b.req.f.Presence.Match(filter.Event{Type: "m.presence", Sender: p.UserID}) {
			continue
		}
		events = append(events, rawOf(map[string]any{"type": "m.presence", "sender": p.UserID, "content": b.a.presenceContent(p)}))
	}
	b.resp.Presence = listOf(events)
	return nil
}

// rooms fills the room sections from the user's memberships.
func (b *syncBuilder) rooms() error {
	ms, err := b.a.cfg.Store.UserRooms(b.req.userID)
	if err != nil {
		return err
	}
	b.joined = map[string]bool{}
	for _, m := range ms {
		if m.Membership == event.MembershipJoin {
			b.joined[m.RoomID] = true
		}
	}
	if err := b.readMoved(len(b.joined)); err != nil {
		return err
	}
	rooms := &syncRooms{}
	for _, m := range ms {
		if !b.req.f.Room.IncludesRoom(m.RoomID) {
			continue
		}
		switch m.Membership {
		case event.MembershipJoin:
			jr, err := b.joinedRoom(m)
			if err != nil {
				return fmt.Errorf("room %s: %w", m.RoomID, err)
			}
			if jr != nil {
				if rooms.Join == nil {
					rooms.Join = map[string]*joinedRoom{}
				}
				rooms.Join[m.RoomID] = jr
			}
		case event.MembershipInvite, event.MembershipKnock:
			if !b.initial && m.Stream <= b.since.Events || m.Stream > b.to.Events {
				continue
			}
			sr, err := b.strippedRoom(m)
			if err != nil {
				return fmt.Errorf("room %s: %w", m.RoomID, err)
			}
			if m.Membership == event.MembershipInvite {
				if rooms.Invite == nil {
					rooms.Invite = map[string]*strippedRoom{}
				}
				rooms.Invite[m.RoomID] = sr
			} else {
				if rooms.Knock == nil {
					rooms.Knock = map[string]*strippedRoom{}
				}
				rooms.Knock[m.RoomID] = sr
			}
		case event.MembershipLeave, event.MembershipBan:
			if b.initial && !b.req.f.Room.IncludeLeave || !b.initial && m.Stream <= b.since.Events || m.Stream > b.to.Events {
				continue
			}
			lr, err := b.leftRoom(m)
			if err != nil {
				return fmt.Errorf("room %s: %w", m.RoomID, err)
			}
			if lr != nil {
				if rooms.Leave == nil {
					rooms.Leave = map[string]*leftRoom{}
				}
				rooms.Leave[m.RoomID] = lr
			}
		}
	}
	if len(rooms.Join)+len(rooms.Invite)+len(rooms.Leave)+len(rooms.Knock) > 0 {
		b.resp.Rooms = rooms
	}
	return nil
}

// shares reports whether userID is joined to a room the caller is joined
// to: one read of userID's rooms against the set rooms() loaded.
func (b *syncBuilder) shares(userID string) (bool, error) {
	theirs, err := b.a.cfg.Store.UserRooms(userID, event.MembershipJoin)
	if err != nil {
		return false, err
	}
	for _, m := range theirs {
		if b.joined[m.RoomID] {
			return true, nil
		}
	}
	return b.a.joinedToAny(userID, b.joined), nil
}

// sharingUsers returns the users joined to any room the caller is joined
// to.
func (b *syncBuilder) sharingUsers() (map[string]bool, error) {
	out := map[string]bool{}
	for roomID := range b.joined {
		st, err := b.a.cfg.Store.CurrentStateOfType(roomID, event.TypeMember)
		if err != nil {
			return nil, err
		}
		for k, nid := range st {
			if out[k.StateKey] {
				continue
			}
			se, err := b.event(nid)
			if err != nil {
				return nil, err
			}
			if storedMembership(se) == event.MembershipJoin {
				out[k.StateKey] = true
			}
		}
	}
	return out, nil
}
