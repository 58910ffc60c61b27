package e2ee

import (
	"context"
	"encoding/json"
	"sync"
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
	if len(byServer) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for server, users := range byServer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res map[string]map[string]map[string]json.RawMessage
			err := ErrNoPeer
			if s.cfg.Client != nil {
				res, err = await(ctx, func() (map[string]map[string]map[string]json.RawMessage, error) {
					return s.cfg.Client.ClaimUserKeys(ctx, server, users)
				})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.logFailure("claiming remote keys", server, err)
				out.Failures[server] = failure(ctx, err)
				return
			}
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
		}()
	}
	wg.Wait()
	return out
}
