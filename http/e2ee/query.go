package e2ee

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// KeyQuery is the remote part of a POST /keys/query answer.
type KeyQuery struct {
	DeviceKeys      map[string]map[string]json.RawMessage
	MasterKeys      map[string]json.RawMessage
	SelfSigningKeys map[string]json.RawMessage
	// Failures names the servers that could not be reached in time
	// (client-server-api "Querying keys": failures).
	Failures map[string]any
}

// QueryKeys returns the device and cross-signing keys of remote users: by
// user ID, the devices wanted (none: all). shares tells whether the
// requester shares a room with a user: only then is the user's list kept
// current by their server's EDUs, so only then is it cached and answered
// from the cache. The others are asked of their servers, one request per
// server, all at once, each given at most timeout; a server that has not
// answered by then is a failure, whatever its request is still doing.
// requester (a localpart) is remembered as a watcher of the lists cached.
func (s *Service) QueryKeys(ctx context.Context, requester string, users map[string][]string, timeout time.Duration, shares func(userID string) bool) KeyQuery {
	out := KeyQuery{DeviceKeys: map[string]map[string]json.RawMessage{}, MasterKeys: map[string]json.RawMessage{},
		SelfSigningKeys: map[string]json.RawMessage{}, Failures: map[string]any{}}
	byServer := map[string]map[string][]string{}
	for uid, wanted := range users {
		if l, ok := s.cachedList(uid, shares); ok {
			out.add(uid, pickDevices(l.Devices, wanted), l.MasterKey, l.SelfSigningKey)
			if !slices.Contains(l.Watchers, requester) {
				s.addWatcher(uid, requester)
			}
			continue
		}
		server := serverOf(uid)
		if server == "" || server == s.cfg.ServerName {
			continue
		}
		if byServer[server] == nil {
			byServer[server] = map[string][]string{}
		}
		byServer[server][uid] = wanted
	}
	ask := func(ctx context.Context, server string, us map[string][]string) (federation.UserKeys, error) {
		return s.queryServer(ctx, requester, server, us, shares)
	}
	askServers(ctx, s, timeout, "querying remote keys", byServer, out.Failures, ask, func(_ map[string][]string, res federation.UserKeys) {
		for uid, devs := range res.DeviceKeys {
			out.add(uid, devs, res.MasterKeys[uid], res.SelfSigningKeys[uid])
		}
	})
	return out
}

func (q *KeyQuery) add(uid string, devs map[string]json.RawMessage, master, selfSigning json.RawMessage) {
	if devs == nil {
		devs = map[string]json.RawMessage{}
	}
	q.DeviceKeys[uid] = devs
	if len(master) > 0 {
		q.MasterKeys[uid] = master
	}
	if len(selfSigning) > 0 {
		q.SelfSigningKeys[uid] = selfSigning
	}
}

// queryServer asks one server for its users' keys, keeps what its answer
// says about those users only, and caches the full lists of tracked users.
func (s *Service) queryServer(ctx context.Context, requester, server string, users map[string][]string, shares func(string) bool) (federation.UserKeys, error) {
	if s.cfg.Client == nil {
		return federation.UserKeys{}, ErrNoPeer
	}
	res, err := await(ctx, func() (federation.UserKeys, error) { return s.cfg.Client.QueryUserKeys(ctx, server, users) })
	if err != nil {
		return res, err
	}
	clean := federation.UserKeys{DeviceKeys: map[string]map[string]json.RawMessage{},
		MasterKeys: map[string]json.RawMessage{}, SelfSigningKeys: map[string]json.RawMessage{}}
	for uid, wanted := range users {
		devs := validDevices(uid, res.DeviceKeys[uid])
		clean.DeviceKeys[uid] = pickDevices(devs, wanted)
		master := validCrossSigning(uid, "master", res.MasterKeys[uid])
		selfSigning := validCrossSigning(uid, "self_signing", res.SelfSigningKeys[uid])
		if master != nil {
			clean.MasterKeys[uid] = master
		}
		if selfSigning != nil {
			clean.SelfSigningKeys[uid] = selfSigning
		}
		if len(wanted) == 0 && len(devs) <= maxCachedDevices && shares(uid) {
			s.cacheIfAbsent(persistence.RemoteDeviceList{UserID: uid, Devices: devs, MasterKey: master,
				SelfSigningKey: selfSigning, FetchedMS: s.cfg.Now().UnixMilli(), Watchers: []string{requester}})
		}
	}
	return clean, nil
}

// pickDevices returns the wanted devices of devs (all when wanted is
// empty).
func pickDevices(devs map[string]json.RawMessage, wanted []string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(devs))
	if len(wanted) == 0 {
		for id, k := range devs {
			out[id] = k
		}
		return out
	}
	for _, id := range wanted {
		if k, ok := devs[id]; ok {
			out[id] = k
		}
	}
	return out
}

// failure is the value of a failures entry: the error as a Matrix error
// object where the remote gave one.
func failure(ctx context.Context, err error) map[string]any {
	var fe *federation.Error
	if errors.As(err, &fe) {
		return map[string]any{"status": fe.Status, "errcode": fe.Code, "error": fe.Message}
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return map[string]any{"status": 504, "error": "Timed out waiting for the remote server"}
	}
	return map[string]any{"status": 503, "error": "Remote server unreachable"}
}

// logFailure logs a failed remote call at info level.
func (s *Service) logFailure(what, server string, err error) {
	if ce := s.cfg.Log.Check(zap.InfoLevel, what); ce != nil {
		ce.Write(zap.String("destination", server), zap.Error(err))
	}
}

// await runs call in its own goroutine and returns its answer, or ctx's
// error once ctx is done: a remote server that accepts a connection and
// never answers must not hold the client's request past its timeout, even
// where the outbound client's own deadlines do not reach (a TLS handshake
// that never completes). The abandoned call ends with the outbound
// client's own timeout.
func await[T any](ctx context.Context, call func() (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := call()
		ch <- answer{v, err}
	}()
	select {
	case a := <-ch:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
