package federation

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/e2ee"
	"github.com/axonhs/axon/persistence"
)

// Bounds of the key endpoints.
const (
	maxKeyQueryUsers = 1000
	keysMaxBody      = 256 << 10
	claimTimeout     = 10 * time.Second
)

// userDevices answers GET /_matrix/federation/v1/user/devices/{userId}
// (user_devices.yaml): a local user's devices with their keys, and the
// cross-signing keys other servers may see.
func (a *API) userDevices(ctx *fasthttp.RequestCtx, _ string) error {
	userID, err := axhttp.Param(ctx, "userId")
	if err != nil {
		return err
	}
	lp, ok := a.localpartOf(userID)
	if !ok {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "User is not a user of this server")
	}
	devs, err := a.cfg.Store.Devices(lp)
	if err != nil {
		return err
	}
	keys, err := a.cfg.Store.AllDeviceKeys(lp)
	if err != nil {
		return err
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].ID < devs[j].ID })
	list := make([]map[string]any, 0, len(devs))
	for _, d := range devs {
		k, ok := keys[d.ID]
		if !ok {
			continue // the spec's devices carry keys; a device without any is not listed
		}
		entry := map[string]any{"device_id": d.ID, "keys": k}
		if d.DisplayName != "" {
			entry["device_display_name"] = d.DisplayName
		}
		list = append(list, entry)
	}
	// The stream_id is that of the last m.device_list_update announced for
	// the user, so that the next one's prev_id chains onto this answer
	// (server-server-api "Device Management").
	var pos int64
	if a.cfg.E2EE != nil {
		if pos, err = a.cfg.E2EE.StreamID(lp); err != nil {
			return err
		}
	}
	out := map[string]any{"user_id": userID, "stream_id": pos, "devices": list}
	for usage, field := range map[string]string{"master": "master_key", "self_signing": "self_signing_key"} {
		if k, err := a.cfg.Store.CrossSigningKey(lp, usage); err == nil {
			out[field] = k
		} else if !errors.Is(err, persistence.ErrNotFound) {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, out)
	return nil
}

// userKeysQuery answers POST /_matrix/federation/v1/user/keys/query
// (user_keys.yaml) for local users.
func (a *API) userKeysQuery(ctx *fasthttp.RequestCtx, _ string) error {
	var req struct {
		DeviceKeys map[string][]string `json:"device_keys"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.DeviceKeys == nil {
		return axhttp.MissingParam("device_keys")
	}
	if len(req.DeviceKeys) > maxKeyQueryUsers {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Too many users queried")
	}
	deviceKeys := map[string]map[string]json.RawMessage{}
	masters, selfSigning := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for uid, wanted := range req.DeviceKeys {
		lp, ok := a.localpartOf(uid)
		if !ok {
			continue
		}
		all, err := a.cfg.Store.AllDeviceKeys(lp)
		if err != nil {
			return err
		}
		picked := map[string]json.RawMessage{}
		for id, k := range all {
			if len(wanted) == 0 || contains(wanted, id) {
				// user_keys.yaml: the keys as uploaded, with the device's
				// name in unsigned.device_display_name.
				d, err := a.cfg.Store.Device(lp, id)
				if err != nil && !errors.Is(err, persistence.ErrNotFound) {
					return err
				}
				picked[id] = e2ee.WithDisplayName(k, d.DisplayName)
			}
		}
		deviceKeys[uid] = picked
		if k, err := a.cfg.Store.CrossSigningKey(lp, "master"); err == nil {
			masters[uid] = k
		}
		if k, err := a.cfg.Store.CrossSigningKey(lp, "self_signing"); err == nil {
			selfSigning[uid] = k
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"device_keys": deviceKeys, "master_keys": masters, "self_signing_keys": selfSigning})
	return nil
}

// userKeysClaim answers POST /_matrix/federation/v1/user/keys/claim
// (user_keys.yaml): one key per device, claimed through the user's actor
// so that no one-time key goes out twice.
func (a *API) userKeysClaim(ctx *fasthttp.RequestCtx, _ string) error {
	var req struct {
		OneTimeKeys map[string]map[string]string `json:"one_time_keys"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.OneTimeKeys == nil {
		return axhttp.MissingParam("one_time_keys")
	}
	if len(req.OneTimeKeys) > maxKeyQueryUsers {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Too many users queried")
	}
	c, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	out := map[string]any{}
	for uid, want := range req.OneTimeKeys {
		lp, ok := a.localpartOf(uid)
		if !ok || a.cfg.Users == nil {
			continue
		}
		res, err := a.cfg.Users.Do(c, lp, user.ClaimKeys{Want: want})
		if err != nil {
			a.cfg.Log.Info("claiming keys over federation: " + err.Error())
			continue
		}
		out[uid] = res
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"one_time_keys": out})
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
