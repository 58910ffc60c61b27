package persistence

import (
	"encoding/json"
	"errors"
)

// Device lists across servers (spec: server-server-api "Device
// Management"), two more rows of the E2EE family:
//
//	K | 5 | lp(userID)    → RemoteDeviceList: the cached device list of a remote user
//	K | 6 | lp(localpart) → SentDeviceList: what this server last announced of a local user's devices
//
// Both are written by the homeserver's device-list service (http/e2ee),
// which serialises its read-modify-write cycles; nothing else writes them.
const (
	subRemoteDeviceList byte = 5
	subSentDeviceList   byte = 6
)

// RemoteDeviceList is this server's copy of a remote user's devices and
// public cross-signing keys, kept while a local user shares a room with
// them and updated by their server's m.device_list_update and
// m.signing_key_update EDUs.
type RemoteDeviceList struct {
	UserID string `json:"user_id"`
	// StreamID is the stream_id of the last update applied; 0 when the
	// list came from a key query, which carries none.
	StreamID int64 `json:"stream_id"`
	// Devices holds each device's DeviceKeys JSON (with
	// unsigned.device_display_name when known), by device ID.
	Devices        map[string]json.RawMessage `json:"devices"`
	MasterKey      json.RawMessage            `json:"master_key,omitempty"`
	SelfSigningKey json.RawMessage            `json:"self_signing_key,omitempty"`
	// FetchedMS is when the list was last read from the user's server.
	FetchedMS int64 `json:"fetched_ms"`
	// Watchers are localparts of local users who asked for the list while
	// sharing a room with the user: they are woken when it changes.
	Watchers []string `json:"watchers,omitempty"`
}

// SentDeviceList records what this server last told other servers about a
// local user's devices: the last stream_id used and a digest of each
// device and cross-signing key as sent, so that the next change sends only
// what differs.
type SentDeviceList struct {
	StreamID       int64             `json:"stream_id"`
	Devices        map[string]string `json:"devices"`
	MasterKey      string            `json:"master_key,omitempty"`
	SelfSigningKey string            `json:"self_signing_key,omitempty"`
}

func remoteDeviceListKey(userID string) []byte {
	return userFamily(prefixE2EEKeys, subRemoteDeviceList, userID)
}

func sentDeviceListKey(localpart string) []byte {
	return userFamily(prefixE2EEKeys, subSentDeviceList, localpart)
}

// RemoteDeviceList returns the cached device list of a remote user, or
// ErrNotFound.
func (s *Store) RemoteDeviceList(userID string) (RemoteDeviceList, error) {
	var l RemoteDeviceList
	if tooLong(userID) {
		return l, ErrNotFound
	}
	err := s.getJSON(remoteDeviceListKey(userID), &l)
	return l, err
}

// PutRemoteDeviceList caches a remote user's device list.
func (b *Batch) PutRemoteDeviceList(l RemoteDeviceList) {
	if b.check(l.UserID) {
		b.setJSON(remoteDeviceListKey(l.UserID), l)
	}
}

// DeleteRemoteDeviceList drops a remote user's cached device list, so the
// next key query asks their server.
func (b *Batch) DeleteRemoteDeviceList(userID string) {
	if b.check(userID) {
		b.delete(remoteDeviceListKey(userID))
	}
}

// SentDeviceList returns what was last announced of localpart's devices;
// the zero value (no devices, stream 0) when nothing was.
func (s *Store) SentDeviceList(localpart string) (SentDeviceList, error) {
	var l SentDeviceList
	if tooLong(localpart) {
		return l, nil
	}
	err := s.getJSON(sentDeviceListKey(localpart), &l)
	if errors.Is(err, ErrNotFound) {
		return SentDeviceList{}, nil
	}
	return l, err
}

// PutSentDeviceList records what was announced of localpart's devices.
func (b *Batch) PutSentDeviceList(localpart string, l SentDeviceList) {
	if b.check(localpart) {
		b.setJSON(sentDeviceListKey(localpart), l)
	}
}
