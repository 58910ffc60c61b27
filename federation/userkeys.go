package federation

import (
	"context"
	"encoding/json"
	"fmt"
)

// UserKeys is the answer to POST /_matrix/federation/v1/user/keys/query
// (user_keys.yaml): device keys by user and device, and the users'
// public cross-signing keys.
type UserKeys struct {
	DeviceKeys      map[string]map[string]json.RawMessage `json:"device_keys"`
	MasterKeys      map[string]json.RawMessage            `json:"master_keys,omitempty"`
	SelfSigningKeys map[string]json.RawMessage            `json:"self_signing_keys,omitempty"`
}

// QueryUserKeys asks destination for the device keys of its users: by
// user ID, the device IDs wanted (none: every device).
func (c *Client) QueryUserKeys(ctx context.Context, destination string, deviceKeys map[string][]string) (UserKeys, error) {
	var res UserKeys
	req := make(map[string][]string, len(deviceKeys))
	for uid, devs := range deviceKeys {
		if devs == nil {
			devs = []string{} // user_keys.yaml: an empty list asks for every device
		}
		req[uid] = devs
	}
	err := c.Post(ctx, destination, "/_matrix/federation/v1/user/keys/query", map[string]any{"device_keys": req}, &res)
	return res, err
}

// ClaimUserKeys claims one-time keys of destination's users: by user ID,
// by device ID, the algorithm wanted. The answer holds, by user and
// device, an object {"algorithm:keyID": key}.
func (c *Client) ClaimUserKeys(ctx context.Context, destination string, oneTimeKeys map[string]map[string]string) (map[string]map[string]map[string]json.RawMessage, error) {
	var res struct {
		OneTimeKeys map[string]map[string]map[string]json.RawMessage `json:"one_time_keys"`
	}
	err := c.Post(ctx, destination, "/_matrix/federation/v1/user/keys/claim", map[string]any{"one_time_keys": oneTimeKeys}, &res)
	return res.OneTimeKeys, err
}

// UserDevice is one device of GET /_matrix/federation/v1/user/devices.
type UserDevice struct {
	DeviceID    string          `json:"device_id"`
	DisplayName string          `json:"device_display_name,omitempty"`
	Keys        json.RawMessage `json:"keys"`
}

// UserDevices is the answer to GET /_matrix/federation/v1/user/devices
// (user_devices.yaml): every device of a user with its keys, the stream ID
// the list is at, and the user's public cross-signing keys.
type UserDevices struct {
	UserID         string          `json:"user_id"`
	StreamID       int64           `json:"stream_id"`
	Devices        []UserDevice    `json:"devices"`
	MasterKey      json.RawMessage `json:"master_key,omitempty"`
	SelfSigningKey json.RawMessage `json:"self_signing_key,omitempty"`
}

// GetUserDevices fetches the device list of userID from destination, its
// server (server-server-api "Device Management": a receiving server that
// misses an update "should resync" this way).
func (c *Client) GetUserDevices(ctx context.Context, destination, userID string) (UserDevices, error) {
	var res UserDevices
	if err := c.Get(ctx, destination, "/_matrix/federation/v1/user/devices/"+pathEscape(userID), &res); err != nil {
		return res, err
	}
	if res.UserID != userID {
		return UserDevices{}, fmt.Errorf("%w: %s answered for %q, not %q", ErrRemote, destination, res.UserID, userID)
	}
	return res, nil
}
