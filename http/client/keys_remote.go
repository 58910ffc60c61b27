package client

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/rooms/ids"
)

// queryRemoteKeys adds the keys of users of other servers to a /keys/query
// answer (spec: "Querying keys": the homeserver asks the users' servers,
// waiting at most timeout, and lists those it could not reach in
// failures). Without federation every remote server is a failure.
func (a *API) queryRemoteKeys(s user.Session, shares func(string) bool, remote map[string][]string, timeout time.Duration,
	deviceKeys map[string]map[string]json.RawMessage, masters, selfSigning map[string]json.RawMessage, failures map[string]any) {
	if a.cfg.E2EE == nil {
		for uid := range remote {
			failures[serverOfUser(uid)] = map[string]any{"error": "Federation is not enabled"}
		}
		return
	}
	res := a.cfg.E2EE.QueryKeys(context.Background(), s.Localpart, remote, timeout, shares)
	for uid, devs := range res.DeviceKeys {
		deviceKeys[uid] = devs
	}
	for uid, k := range res.MasterKeys {
		// The caller's own signatures on a remote master key, made with
		// their user-signing key, are theirs to see (crossSigningFor).
		if foreign, err := a.cfg.Store.ForeignSignatures(s.Localpart, uid); err == nil && len(foreign) > 0 {
			k = mergeForeign(k, foreign)
		}
		masters[uid] = k
	}
	for uid, k := range res.SelfSigningKeys {
		selfSigning[uid] = k
	}
	for server, f := range res.Failures {
		failures[server] = f
	}
}

// mergeForeign merges into a master key the stored signatures on it.
func mergeForeign(k json.RawMessage, foreign map[string]json.RawMessage) json.RawMessage {
	var obj struct {
		Keys map[string]string `json:"keys"`
	}
	if json.Unmarshal(k, &obj) != nil {
		return k
	}
	for id := range obj.Keys {
		_, pub, _ := strings.Cut(id, ":")
		if sigs, ok := foreign[pub]; ok {
			var m map[string]map[string]string
			if json.Unmarshal(sigs, &m) == nil {
				return mergeSignaturesInto(k, m)
			}
		}
	}
	return k
}

// claimRemoteKeys adds one-time keys of users of other servers to a
// /keys/claim answer (spec: "Claiming one-time keys").
func (a *API) claimRemoteKeys(remote map[string]map[string]string, timeout time.Duration,
	claimed map[string]map[string]map[string]json.RawMessage, failures map[string]any) {
	if a.cfg.E2EE == nil {
		for uid := range remote {
			failures[serverOfUser(uid)] = map[string]any{"error": "Federation is not enabled"}
		}
		return
	}
	res := a.cfg.E2EE.ClaimKeys(context.Background(), remote, timeout)
	for uid, devs := range res.OneTimeKeys {
		claimed[uid] = devs
	}
	for server, f := range res.Failures {
		failures[server] = f
	}
}

// serverOfUser is the server name of a user ID already validated.
func serverOfUser(uid string) string {
	u, err := ids.ParseUserIDLenient(uid)
	if err != nil {
		return ""
	}
	return string(u.Server())
}

// WakeDeviceListChangeOf wakes the parked /syncs of local users sharing a
// room with userID, a remote user whose device list changed, and of
// watchers, the local users known to follow that list: the membership
// index alone misses the members of rooms joined over federation.
func (a *API) WakeDeviceListChangeOf(userID string, watchers []string) {
	a.background(func() {
		a.wakeSharing(userID)
		if len(watchers) > 0 {
			a.cfg.Users.Wake(watchers, 0)
		}
	})
}
