package e2ee

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/axonhs/axon/persistence"
)

// deviceListUpdate is the content of an m.device_list_update EDU
// (m.device_list_update.yaml).
type deviceListUpdate struct {
	UserID      string          `json:"user_id"`
	DeviceID    string          `json:"device_id"`
	DisplayName string          `json:"device_display_name"`
	StreamID    int64           `json:"stream_id"`
	PrevID      []int64         `json:"prev_id"`
	Deleted     bool            `json:"deleted"`
	Keys        json.RawMessage `json:"keys"`
}

// DeviceListUpdate applies one m.device_list_update EDU from origin; see
// DeviceListUpdates.
func (s *Service) DeviceListUpdate(origin string, content json.RawMessage) {
	s.DeviceListUpdates(origin, []json.RawMessage{content})
}

// DeviceListUpdates applies the m.device_list_update EDUs of one
// transaction from origin, in order (server-server-api "Device
// Management"). Updates for users of another server, or for users this
// server does not follow, are ignored, as is malformed content. An update
// whose prev_id chains onto the cached list is applied to it; otherwise
// the cached list is dropped and resynchronised from GET /user/devices.
// Either way local users sharing a room with the user see the change in
// /sync and /keys/changes. All of it commits as one batch.
func (s *Service) DeviceListUpdates(origin string, contents []json.RawMessage) {
	var updates []deviceListUpdate
	for _, c := range contents {
		var u deviceListUpdate
		if json.Unmarshal(c, &u) != nil || serverOf(u.UserID) != origin || origin == s.cfg.ServerName ||
			u.DeviceID == "" || u.StreamID <= 0 {
			continue
		}
		if len(u.Keys) > 0 && string(u.Keys) != "null" && !validDeviceKeys(u.UserID, u.DeviceID, u.Keys) {
			continue
		}
		updates = append(updates, u)
	}
	if len(updates) == 0 {
		return
	}
	for _, o := range s.applyUpdates(updates) {
		s.notify(o.userID, o.watchers)
		if o.resync {
			s.resync(origin, o.userID, o.watchers)
		}
	}
}

// listUpdate is what a batch of updates did to one user's cached list.
type listUpdate struct {
	userID   string
	l        persistence.RemoteDeviceList
	cached   bool // l is in the cache (before the batch: found; after: kept)
	write    bool // l (or its removal) must be written
	resync   bool
	watchers []string
}

// applyUpdates applies updates to the cached lists and records each
// changed user in the device-list log, in one batch, under cacheMu; it
// returns the users whose lists changed.
func (s *Service) applyUpdates(updates []deviceListUpdate) []*listUpdate {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	byUser := map[string]*listUpdate{}
	var order []*listUpdate
	for _, u := range updates {
		o := byUser[u.UserID]
		if o == nil {
			if !s.tracked(u.UserID) {
				continue
			}
			o = &listUpdate{userID: u.UserID}
			l, err := s.cfg.Store.RemoteDeviceList(u.UserID)
			switch {
			case err == nil:
				o.l, o.cached, o.watchers = l, true, l.Watchers
			case !errors.Is(err, persistence.ErrNotFound):
				o.write, o.resync = true, true // unreadable: drop and refetch
			}
			byUser[u.UserID] = o
		}
		if s.applyOne(o, u) {
			if !slices.Contains(order, o) {
				order = append(order, o)
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	b := s.cfg.Store.NewBatch()
	uids := make([]string, len(order))
	for i, o := range order {
		uids[i] = o.userID
		switch {
		case o.write && o.cached:
			b.PutRemoteDeviceList(o.l)
		case o.write:
			b.DeleteRemoteDeviceList(o.userID)
		}
	}
	if _, err := s.cfg.Store.CommitRemoteDeviceListChanges(b, uids); err != nil {
		s.logFailure("recording remote device-list changes", serverOf(uids[0]), err)
		return nil
	}
	return order
}

// applyOne applies one update to o, and reports whether it was a change
// (replays of applied updates are not).
func (s *Service) applyOne(o *listUpdate, u deviceListUpdate) bool {
	if !o.cached {
		// Nothing cached (or dropped for a resync): the change is noted,
		// and the next key query or the resync reads the list afresh.
		return true
	}
	l := &o.l
	switch {
	case u.StreamID <= l.StreamID:
		return false
	case !(len(u.PrevID) == 0 && l.StreamID == 0) && !(l.StreamID > 0 && slices.Contains(u.PrevID, l.StreamID)):
		// An update in between was lost: "resynchronise its list".
		o.cached, o.write, o.resync = false, true, true
	case !u.Deleted && l.Devices[u.DeviceID] == nil && len(l.Devices) >= maxCachedDevices:
		// Too many devices to keep: queries ask the user's server.
		o.cached, o.write = false, true
	default:
		applyTo(l, u)
		o.write = true
	}
	return true
}

// applyTo applies a chained update to the cached list l.
func applyTo(l *persistence.RemoteDeviceList, u deviceListUpdate) {
	if l.Devices == nil {
		l.Devices = map[string]json.RawMessage{}
	}
	switch {
	case u.Deleted:
		delete(l.Devices, u.DeviceID)
	case len(u.Keys) > 0 && string(u.Keys) != "null":
		l.Devices[u.DeviceID] = withDisplayName(u.Keys, u.DisplayName)
	default:
		// No keys: a device without E2E keys, or only its name changed.
		if k, ok := l.Devices[u.DeviceID]; ok {
			l.Devices[u.DeviceID] = withDisplayName(k, u.DisplayName)
		}
	}
	l.StreamID = u.StreamID
}

// signingKeyUpdate is the content of an m.signing_key_update EDU.
type signingKeyUpdate struct {
	UserID         string          `json:"user_id"`
	MasterKey      json.RawMessage `json:"master_key"`
	SelfSigningKey json.RawMessage `json:"self_signing_key"`
}

// SigningKeyUpdate applies an m.signing_key_update EDU from origin
// (server-server-api "End-to-End Encryption"): the user's new public
// cross-signing keys replace the cached ones, and local users sharing a
// room with them see a device-list change. Malformed keys are ignored.
func (s *Service) SigningKeyUpdate(origin string, content json.RawMessage) {
	var u signingKeyUpdate
	if json.Unmarshal(content, &u) != nil || serverOf(u.UserID) != origin || origin == s.cfg.ServerName {
		return
	}
	master := validCrossSigning(u.UserID, "master", u.MasterKey)
	selfSigning := validCrossSigning(u.UserID, "self_signing", u.SelfSigningKey)
	if master == nil && selfSigning == nil {
		return
	}
	if !s.tracked(u.UserID) {
		return
	}
	s.cacheMu.Lock()
	l, err := s.cfg.Store.RemoteDeviceList(u.UserID)
	b := s.cfg.Store.NewBatch()
	if err == nil {
		if master != nil {
			l.MasterKey = master
		}
		if selfSigning != nil {
			l.SelfSigningKey = selfSigning
		}
		b.PutRemoteDeviceList(l)
	}
	_, err = s.cfg.Store.CommitRemoteDeviceListChange(b, u.UserID)
	s.cacheMu.Unlock()
	if err != nil {
		s.logFailure("recording remote cross-signing keys", origin, err)
		return
	}
	s.notify(u.UserID, l.Watchers)
}

// notify tells the homeserver that a remote user's device list changed.
func (s *Service) notify(userID string, watchers []string) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(userID, watchers)
	}
}

// resync reads userID's whole device list from its server in the
// background and caches it, at most maxResyncs at a time and one per
// user; when none can start, the dropped entry makes the next key query
// read it instead.
func (s *Service) resync(server, userID string, watchers []string) {
	s.mu.Lock()
	if s.resyncing[userID] || s.cfg.Client == nil {
		s.mu.Unlock()
		return
	}
	select {
	case s.resyncs <- struct{}{}:
	default:
		s.mu.Unlock()
		return
	}
	s.resyncing[userID] = true
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		delete(s.resyncing, userID)
		s.mu.Unlock()
		<-s.resyncs
	}
	if !s.goBackground(func() {
		defer release()
		ctx, cancel := context.WithTimeout(s.base, resyncTimeout)
		defer cancel()
		s.Resync(ctx, server, userID, watchers)
	}) {
		release()
	}
}

// Resync reads userID's device list from server with GET /user/devices
// and replaces the cached copy with it, unless a newer one arrived
// meanwhile; watchers carry over from the copy it replaces.
func (s *Service) Resync(ctx context.Context, server, userID string, watchers []string) {
	res, err := s.cfg.Client.GetUserDevices(ctx, server, userID)
	if err != nil {
		s.logFailure("resyncing a remote device list", server, err)
		return
	}
	l := persistence.RemoteDeviceList{UserID: userID, StreamID: max(res.StreamID, 0), Devices: map[string]json.RawMessage{},
		MasterKey:      validCrossSigning(userID, "master", res.MasterKey),
		SelfSigningKey: validCrossSigning(userID, "self_signing", res.SelfSigningKey),
		FetchedMS:      s.cfg.Now().UnixMilli(), Watchers: watchers}
	if len(res.Devices) > maxCachedDevices {
		return // too many to keep: queries ask the user's server
	}
	for _, d := range res.Devices {
		if validDeviceKeys(userID, d.DeviceID, d.Keys) {
			l.Devices[d.DeviceID] = withDisplayName(d.Keys, d.DisplayName)
		}
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if old, err := s.cfg.Store.RemoteDeviceList(userID); err == nil {
		if old.StreamID > l.StreamID {
			return
		}
		for _, w := range old.Watchers {
			if !slices.Contains(l.Watchers, w) && len(l.Watchers) < maxWatchers {
				l.Watchers = append(l.Watchers, w)
			}
		}
	}
	b := s.cfg.Store.NewBatch()
	b.PutRemoteDeviceList(l)
	if err := b.Commit(); err != nil {
		s.logFailure("caching a resynced device list", server, err)
	}
}
