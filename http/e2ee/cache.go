package e2ee

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/axonhs/axon/persistence"
)

// cachedList returns the cached device list of a remote user while it can
// be trusted: the requester shares a room with the user, so every change
// reaches this server as an EDU that updates or drops the copy.
// Untracked users get no updates: their copy may be stale.
func (s *Service) cachedList(userID string, shares func(string) bool) (persistence.RemoteDeviceList, bool) {
	if serverOf(userID) == s.cfg.ServerName {
		return persistence.RemoteDeviceList{}, false
	}
	l, err := s.cfg.Store.RemoteDeviceList(userID)
	if err != nil || !shares(userID) {
		return l, false
	}
	return l, true
}

// cacheIfAbsent stores l unless an entry exists already: an entry written
// meanwhile by an EDU or a resync is newer than a key query's answer.
func (s *Service) cacheIfAbsent(l persistence.RemoteDeviceList) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if _, err := s.cfg.Store.RemoteDeviceList(l.UserID); !errors.Is(err, persistence.ErrNotFound) {
		return
	}
	b := s.cfg.Store.NewBatch()
	b.PutRemoteDeviceList(l)
	if err := b.CommitNoSync(); err != nil {
		s.logFailure("caching a remote device list", serverOf(l.UserID), err)
	}
}

// addWatcher remembers localpart as a follower of userID's cached list,
// up to maxWatchers of them.
func (s *Service) addWatcher(userID, localpart string) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	l, err := s.cfg.Store.RemoteDeviceList(userID)
	if err != nil || slices.Contains(l.Watchers, localpart) || len(l.Watchers) >= maxWatchers {
		return
	}
	l.Watchers = append(l.Watchers, localpart)
	b := s.cfg.Store.NewBatch()
	b.PutRemoteDeviceList(l)
	if err := b.CommitNoSync(); err != nil {
		s.logFailure("remembering a device-list watcher", serverOf(userID), err)
	}
}

// deviceKeysHead is the part of a DeviceKeys object checked on receipt.
type deviceKeysHead struct {
	UserID   string            `json:"user_id"`
	DeviceID string            `json:"device_id"`
	Keys     map[string]string `json:"keys"`
}

// validDeviceKeys reports whether raw is a DeviceKeys object of userID's
// deviceID (client-server-api device_keys.yaml).
func validDeviceKeys(userID, deviceID string, raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var h deviceKeysHead
	return json.Unmarshal(raw, &h) == nil && h.UserID == userID && h.DeviceID == deviceID && deviceID != "" && len(h.Keys) > 0
}

// validDevices keeps the well-formed device keys of userID.
func validDevices(userID string, devs map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(devs))
	for id, k := range devs {
		if validDeviceKeys(userID, id, k) {
			out[id] = k
		}
	}
	return out
}

// validCrossSigning returns raw when it is a CrossSigningKey of userID
// with the usage, nil otherwise.
func validCrossSigning(userID, usage string, raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var k struct {
		UserID string            `json:"user_id"`
		Usage  []string          `json:"usage"`
		Keys   map[string]string `json:"keys"`
	}
	if json.Unmarshal(raw, &k) != nil || k.UserID != userID || len(k.Keys) != 1 {
		return nil
	}
	for _, u := range k.Usage {
		if u == usage {
			return raw
		}
	}
	return nil
}

// WithDisplayName returns device keys with unsigned.device_display_name
// set (or removed when name is empty): the UnsignedDeviceInfo servers add
// to the keys they serve (user_keys.yaml).
func WithDisplayName(keys json.RawMessage, name string) json.RawMessage {
	return withDisplayName(keys, name)
}

func withDisplayName(keys json.RawMessage, name string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(keys, &obj) != nil {
		return keys
	}
	unsigned := map[string]json.RawMessage{}
	_ = json.Unmarshal(obj["unsigned"], &unsigned)
	if name == "" {
		delete(unsigned, "device_display_name")
	} else {
		unsigned["device_display_name"], _ = json.Marshal(name)
	}
	if len(unsigned) == 0 {
		delete(obj, "unsigned")
	} else {
		obj["unsigned"], _ = json.Marshal(unsigned)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return keys
	}
	return out
}
