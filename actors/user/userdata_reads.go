package user

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/axonhs/axon/persistence"
)

// ProfileHook hears of a committed profile change of a local user. It runs
// on the user's actor, so it must not block: the room side sends itself a
// message and returns.
type ProfileHook func(localpart, displayName, avatarURL string)

// OnProfileChange installs the hook that turns profile changes into member
// events in the user's rooms; nil removes it.
func (d *Directory) OnProfileChange(h ProfileHook) {
	if h == nil {
		d.profileHook.Store(nil)
		return
	}
	d.profileHook.Store(&h)
}

// IgnoredUsers returns the user IDs localpart ignores (the m.ignored_user_list
// account data, spec: client-server-api "Ignoring Users"), for /sync and
// /messages to hide their events.
func (d *Directory) IgnoredUsers(localpart string) (map[string]bool, error) {
	ad, err := d.cfg.Store.AccountData(localpart, "", "m.ignored_user_list")
	if errors.Is(err, persistence.ErrNotFound) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	var c struct {
		IgnoredUsers map[string]json.RawMessage `json:"ignored_users"`
	}
	if err := json.Unmarshal(ad.Content, &c); err != nil {
		return nil, errors.Join(persistence.ErrCorrupt, err)
	}
	out := make(map[string]bool, len(c.IgnoredUsers))
	for u := range c.IgnoredUsers {
		out[u] = true
	}
	return out, nil
}

// ToDeviceSince reads a device's inbox after position since; reads go
// straight to the store.
func (d *Directory) ToDeviceSince(localpart, deviceID string, since uint64, limit int) ([]persistence.ToDeviceMessage, error) {
	return d.cfg.Store.ToDeviceSince(localpart, deviceID, since, limit)
}

// AckToDevice deletes a device's messages up to upTo through the user's
// actor, the inbox's only writer.
func (d *Directory) AckToDevice(ctx context.Context, localpart, deviceID string, upTo uint64) error {
	_, err := d.Do(ctx, localpart, AckToDevice{DeviceID: deviceID, UpTo: upTo})
	return err
}
