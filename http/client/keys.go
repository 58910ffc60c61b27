package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/e2ee"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/ids"
)

// Limits on one key request, so that a single request stays cheap.
const (
	maxKeysPerUpload  = 1000
	maxQueriedUsers   = 1000
	maxClaimedDevices = 1000
)

func (a *API) mountKeys(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, post := fasthttp.MethodGet, fasthttp.MethodPost
	rt.Handle(post, p+"/keys/upload", plain, a.guestsToo(a.uploadKeys))
	rt.Handle(post, p+"/keys/upload/{deviceId}", plain, a.guestsToo(a.uploadKeys))
	rt.Handle(post, p+"/keys/query", plain, a.guestsToo(a.queryKeys))
	rt.Handle(post, p+"/keys/claim", plain, a.guestsToo(a.claimKeys))
	rt.Handle(get, p+"/keys/changes", plain, a.authed(a.keyChanges))
	// mautrix-go (v0.32) sends POST here; the query is the same.
	rt.Handle(post, p+"/keys/changes", plain, a.authed(a.keyChanges))
	rt.Handle(post, p+"/keys/device_signing/upload", plain, a.authed(a.uploadCrossSigning))
	rt.Handle(post, p+"/keys/signatures/upload", plain, a.authed(a.uploadSignatures))
}

// deviceKeysJSON is the shape of DeviceKeys (spec: keys.yaml).
type deviceKeysJSON struct {
	UserID     string                       `json:"user_id"`
	DeviceID   string                       `json:"device_id"`
	Algorithms []string                     `json:"algorithms"`
	Keys       map[string]string            `json:"keys"`
	Signatures map[string]map[string]string `json:"signatures"`
}

// keyID checks "algorithm:identifier".
func validKeyID(id string) bool {
	alg, rest, ok := strings.Cut(id, ":")
	return ok && alg != "" && rest != "" && len(id) <= 255
}

// checkKeyMap validates a one_time_keys or fallback_keys object: key IDs
// "algorithm:id", values strings (curve25519) or objects (signed keys).
func checkKeyMap(name string, m map[string]json.RawMessage) error {
	if len(m) > maxKeysPerUpload {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Too many %s", name)
	}
	for id, v := range m {
		if !validKeyID(id) {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid key ID %q in %s", id, name)
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 || (v[0] != '"' && v[0] != '{') {
			return axhttp.Errorf(axhttp.CodeBadJSON, "Keys in %s must be strings or objects", name)
		}
	}
	return nil
}

// uploadKeys is POST /keys/upload (spec: "Uploading keys"): device keys
// for this very device that never change once published, plus one-time
// and fallback keys. The answer counts the unclaimed one-time keys.
func (a *API) uploadKeys(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		DeviceKeys       json.RawMessage            `json:"device_keys"`
		OneTimeKeys      map[string]json.RawMessage `json:"one_time_keys"`
		FallbackKeys     map[string]json.RawMessage `json:"fallback_keys"`
		UnstableFallback map[string]json.RawMessage `json:"org.matrix.msc2732.fallback_keys"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.FallbackKeys == nil {
		req.FallbackKeys = req.UnstableFallback
	}
	cmd := user.UploadKeys{DeviceID: s.DeviceID, OneTimeKeys: req.OneTimeKeys, FallbackKeys: req.FallbackKeys}
	if dk := bytes.TrimSpace(req.DeviceKeys); len(dk) > 0 && !bytes.Equal(dk, []byte("null")) {
		var d deviceKeysJSON
		if dk[0] != '{' || json.Unmarshal(dk, &d) != nil {
			return axhttp.Errorf(axhttp.CodeBadJSON, "device_keys must be a DeviceKeys object")
		}
		if d.UserID != a.userID(s.Localpart) || d.DeviceID != s.DeviceID {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "device_keys must name this user and device")
		}
		if len(d.Algorithms) == 0 || len(d.Keys) == 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "device_keys needs algorithms and keys")
		}
		for id := range d.Keys {
			if !validKeyID(id) {
				return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid key ID %q", id)
			}
		}
		cmd.DeviceKeys = append(json.RawMessage(nil), dk...)
	}
	if err := checkKeyMap("one_time_keys", req.OneTimeKeys); err != nil {
		return err
	}
	if err := checkKeyMap("fallback_keys", req.FallbackKeys); err != nil {
		return err
	}
	v, err := a.doUser(s.Localpart, cmd)
	if err != nil {
		return keyError(err)
	}
	counts, _ := v.(map[string]int)
	if _, ok := counts["signed_curve25519"]; !ok {
		// Clients read this count to decide when to upload more.
		counts["signed_curve25519"] = 0
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"one_time_key_counts": counts})
	return nil
}

// keyError maps the key commands' refusals to Matrix errors.
func keyError(err error) error {
	switch {
	case errors.Is(err, user.ErrKeysChanged):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Device keys may not change once uploaded; log in as a new device")
	case errors.Is(err, user.ErrKeyExists):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "%s", err.Error())
	case errors.Is(err, user.ErrUnknownDevice):
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown device")
	}
	return err
}

// localUser parses a user ID and returns its localpart when it is local.
func (a *API) localUser(uid string) (localpart string, local bool, err error) {
	u, err := ids.ParseUserIDLenient(uid)
	if err != nil {
		return "", false, err
	}
	return u.Localpart(), string(u.Server()) == a.cfg.ServerName, nil
}

// queryKeys is POST /keys/query (spec: "Querying keys"). Users of other
// servers are answered from the cache of their device lists or asked of
// their servers within the request's timeout (keys_remote.go); servers
// that do not answer in time are listed in failures.
func (a *API) queryKeys(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		DeviceKeys map[string][]string `json:"device_keys"`
		Timeout    *int                `json:"timeout"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.DeviceKeys == nil {
		return axhttp.MissingParam("device_keys")
	}
	if len(req.DeviceKeys) > maxQueriedUsers {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Too many users queried")
	}
	self := a.userID(s.Localpart)
	out := map[string]any{}
	deviceKeys := map[string]map[string]json.RawMessage{}
	masters, selfSigning, userSigning := map[string]json.RawMessage{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}
	failures := map[string]any{}
	remote := map[string][]string{}
	for uid, wanted := range req.DeviceKeys {
		lp, local, err := a.localUser(uid)
		if err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID %q", uid)
		}
		if !local {
			remote[uid] = wanted
			continue
		}
		devs, err := a.queryDevices(lp, wanted)
		if err != nil {
			return err
		}
		deviceKeys[uid] = devs
		if k, err := a.crossSigningFor(s.Localpart, uid, lp, "master"); err != nil {
			return err
		} else if k != nil {
			masters[uid] = k
		}
		if k, err := a.crossSigningFor(s.Localpart, uid, lp, "self_signing"); err != nil {
			return err
		} else if k != nil {
			selfSigning[uid] = k
		}
		if uid == self {
			// Spec: a user-signing key is only ever returned to its owner.
			if k, err := a.cfg.Store.CrossSigningKey(lp, "user_signing"); err == nil {
				userSigning[uid] = k
			} else if !errors.Is(err, persistence.ErrNotFound) {
				return err
			}
		}
	}
	if len(remote) > 0 {
		shares, err := a.sharesRoomWith(s.Localpart)
		if err != nil {
			return err
		}
		a.queryRemoteKeys(s, shares, remote, e2ee.ClampTimeout(req.Timeout), deviceKeys, masters, selfSigning, failures)
	}
	out["device_keys"] = deviceKeys
	out["master_keys"] = masters
	out["self_signing_keys"] = selfSigning
	out["user_signing_keys"] = userSigning
	out["failures"] = failures
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, out)
	return nil
}

// queryDevices returns the device keys of the wanted devices (all when
// wanted is empty), each with unsigned.device_display_name.
func (a *API) queryDevices(lp string, wanted []string) (map[string]json.RawMessage, error) {
	all, err := a.cfg.Store.AllDeviceKeys(lp)
	if err != nil {
		return nil, err
	}
	if len(wanted) > 0 {
		picked := make(map[string]json.RawMessage, len(wanted))
		for _, id := range wanted {
			if k, ok := all[id]; ok {
				picked[id] = k
			}
		}
		all = picked
	}
	out := make(map[string]json.RawMessage, len(all))
	for id, k := range all {
		d, err := a.cfg.Store.Device(lp, id)
		if err != nil && !errors.Is(err, persistence.ErrNotFound) {
			return nil, err
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(k, &obj) != nil {
			continue
		}
		unsigned := map[string]any{}
		if d.DisplayName != "" {
			unsigned["device_display_name"] = d.DisplayName
		}
		obj["unsigned"], _ = json.Marshal(unsigned)
		out[id], _ = json.Marshal(obj)
	}
	return out, nil
}

// crossSigningFor returns a user's cross-signing key of usage as the
// requester sees it: with the signatures the requester made on it with
// their user-signing key (visible to them alone) merged in.
func (a *API) crossSigningFor(requester, uid, lp, usage string) (json.RawMessage, error) {
	k, err := a.cfg.Store.CrossSigningKey(lp, usage)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil
	}
	if err != nil || usage != "master" || requester == lp {
		return k, err
	}
	foreign, err := a.cfg.Store.ForeignSignatures(requester, uid)
	if err != nil {
		return nil, err
	}
	var obj struct {
		Keys map[string]string `json:"keys"`
	}
	if json.Unmarshal(k, &obj) != nil {
		return k, nil
	}
	for id := range obj.Keys {
		_, pub, _ := strings.Cut(id, ":")
		if sigs, ok := foreign[pub]; ok {
			var m map[string]map[string]string
			if json.Unmarshal(sigs, &m) == nil {
				return mergeSignaturesInto(k, m), nil
			}
		}
	}
	return k, nil
}

func mergeSignaturesInto(object json.RawMessage, sigs map[string]map[string]string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(object, &obj) != nil {
		return object
	}
	all := map[string]map[string]string{}
	_ = json.Unmarshal(obj["signatures"], &all)
	for signer, m := range sigs {
		if all[signer] == nil {
			all[signer] = map[string]string{}
		}
		for id, sig := range m {
			all[signer][id] = sig
		}
	}
	obj["signatures"], _ = json.Marshal(all)
	out, err := json.Marshal(obj)
	if err != nil {
		return object
	}
	return out
}

// claimKeys is POST /keys/claim (spec: "Claiming one-time keys"): one key
// per requested device, each one-time key handed out exactly once.
func (a *API) claimKeys(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		OneTimeKeys map[string]map[string]string `json:"one_time_keys"`
		Timeout     *int                         `json:"timeout"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.OneTimeKeys == nil {
		return axhttp.MissingParam("one_time_keys")
	}
	total := 0
	for _, devs := range req.OneTimeKeys {
		total += len(devs)
	}
	if total > maxClaimedDevices {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Too many keys claimed")
	}
	claimed := map[string]map[string]map[string]json.RawMessage{}
	failures := map[string]any{}
	remote := map[string]map[string]string{}
	for uid, devs := range req.OneTimeKeys {
		lp, local, err := a.localUser(uid)
		if err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID %q", uid)
		}
		for dev, alg := range devs {
			if dev == "" || alg == "" || strings.Contains(alg, ":") {
				return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid claim for %s", uid)
			}
		}
		if !local {
			remote[uid] = devs
			continue
		}
		if _, err := a.cfg.Store.Account(lp); errors.Is(err, persistence.ErrNotFound) {
			continue // unknown users simply get no keys
		}
		v, err := a.doUser(lp, user.ClaimKeys{Want: devs})
		if err != nil {
			return err
		}
		if keys, _ := v.(map[string]map[string]json.RawMessage); len(keys) > 0 {
			claimed[uid] = keys
		}
	}
	if len(remote) > 0 {
		a.claimRemoteKeys(remote, e2ee.ClampTimeout(req.Timeout), claimed, failures)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"one_time_keys": claimed, "failures": failures})
	return nil
}

// keyChanges is GET /keys/changes (spec: "Tracking the device list for a
// user"): the users sharing a room with the caller (and the caller), local
// or remote, whose device lists changed between the from and to tokens,
// and in left those who stopped sharing any room with the caller
// (keys_changes.go).
func (a *API) keyChanges(ctx *fasthttp.RequestCtx, s user.Session) error {
	from, err := a.deviceListPos(axhttp.Query(ctx, "from"), "from")
	if err != nil {
		return err
	}
	to, err := a.deviceListPos(axhttp.Query(ctx, "to"), "to")
	if err != nil {
		return err
	}
	if cur, err := a.cfg.Store.DeviceListPosition(); err != nil {
		return err
	} else if to > cur {
		to = cur
	}
	uids, err := a.cfg.Store.DeviceListChangedUsers(from, to, a.cfg.ServerName)
	if err != nil {
		return err
	}
	shared, err := a.sharesRoomWith(s.Localpart)
	if err != nil {
		return err
	}
	self := a.userID(s.Localpart)
	changed := []string{}
	for _, uid := range uids {
		if uid == self || shared(uid) {
			changed = append(changed, uid)
		}
	}
	left, err := a.leftBetween(s.Localpart, axhttp.Query(ctx, "from"), axhttp.Query(ctx, "to"), shared)
	if err != nil {
		return err
	}
	sort.Strings(changed)
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"changed": changed, "left": left})
	return nil
}

// deviceListPos reads the device-list position out of a from/to token. A
// token is the decimal position; /sync's tokens carry it the same way when
// Config.DeviceListPosition is set.
func (a *API) deviceListPos(tok, name string) (uint64, error) {
	if tok == "" {
		return 0, axhttp.MissingParam(name)
	}
	if a.cfg.DeviceListPosition != nil {
		p, err := a.cfg.DeviceListPosition(tok)
		if err != nil {
			return 0, axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed %s token", name)
		}
		return p, nil
	}
	p, err := strconv.ParseUint(tok, 10, 64)
	if err != nil {
		return 0, axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed %s token", name)
	}
	return p, nil
}

// sharesRoomWith returns a test for "joined to a room the caller is joined
// to", read from the membership index.
func (a *API) sharesRoomWith(localpart string) (func(userID string) bool, error) {
	mine, err := a.cfg.Store.UserRooms(a.userID(localpart), "join")
	if err != nil {
		return nil, fmt.Errorf("rooms of %s: %w", localpart, err)
	}
	rooms := make(map[string]bool, len(mine))
	for _, m := range mine {
		rooms[m.RoomID] = true
	}
	return func(uid string) bool {
		theirs, err := a.cfg.Store.UserRooms(uid, "join")
		if err != nil {
			return false
		}
		for _, m := range theirs {
			if rooms[m.RoomID] {
				return true
			}
		}
		return a.joinedToAny(uid, rooms)
	}, nil
}

// joinedToAny reports whether a remote user's current membership in one of
// rooms is join. The membership index misses the other members of a room
// this server joined over federation (their memberships arrived as the
// join's state), so remote users are checked against the rooms' state.
func (a *API) joinedToAny(uid string, rooms map[string]bool) bool {
	if _, local := a.localpart(uid); local {
		return false
	}
	for roomID := range rooms {
		se, err := a.cfg.Store.CurrentStateEvent(roomID, event.TypeMember, uid)
		if err == nil && storedMembership(se) == event.MembershipJoin {
			return true
		}
	}
	return false
}
