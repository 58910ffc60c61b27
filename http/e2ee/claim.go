package e2ee

import (
	"context"
	"encoding/json"
	"time"
)

// KeyClaim is the remote part of a POST /keys/claim answer.
type KeyClaim struct {
	// OneTimeKeys holds, by user and device, {"algorithm:keyID": key}.
	OneTimeKeys map[string]map[string]map[string]json.RawMessage
	Failures    map[string]any
}

// ClaimKeys claims one-time keys of remote users (by user, by device, the
// algorithm wanted) from their servers, one request per server, all at
// once, each given at most timeout (server-server-api "End-to-End
// Encryption": POST /user/keys/claim).
func (s *Service) ClaimKeys(ctx context.Context, want map[string]map[string]string, timeout time.Duration) KeyClaim {
	out := KeyClaim{OneTimeKeys: map[string]map[string]map[string]json.RawMessage{}, Failures: map[string]any{}}
	byServer := map[string]map[string]map[string]string{}
	for uid, devs := range want {
		server := serverOf(uid)
		if server == "" || server == s.cfg.ServerName || len(devs) == 0 {
			continue
		}
		if byServer[server] == nil {
			byServer[server] = map[string]map[string]string{}
		}
		byServer[server][uid] = devs
	}
	type claimed = map[string]map[string]map[string]json.RawMessage
	ask := func(ctx context.Context, server string, users map[string]map[string]string) (claimed, error) {
		if s.cfg.Client == nil {
			return nil, ErrNoPeer
		}
		return await(ctx, func() (claimed, error) { return s.cfg.Client.ClaimUserKeys(ctx, server, users) })
	}
	askServers(ctx, s, timeout, "claiming remote keys", byServer, out.Failures, ask, func(users map[string]map[string]string, res claimed) {
		// Keep only what was asked of this server: one key per device.
		for uid, devs := range users {
			for dev := range devs {
				keys := res[uid][dev]
				if len(keys) == 0 {
					continue
				}
				if out.OneTimeKeys[uid] == nil {
					out.OneTimeKeys[uid] = map[string]map[string]json.RawMessage{}
				}
				out.OneTimeKeys[uid][dev] = keys
			}
		}
	})
	return out
}
