package client

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
)

// DefaultSyncMaxTimeout caps a /sync long-poll when Config.SyncMaxTimeout
// is not set.
const DefaultSyncMaxTimeout = 30 * time.Second

// Presence states (client-server-api module "Presence").
const (
	presenceOnline      = "online"
	presenceOffline     = "offline"
	presenceUnavailable = "unavailable"
)

// syncRequest is one /sync request, copied out of the RequestCtx.
type syncRequest struct {
	s             user.Session
	userID        string
	since         *syncToken // nil: an initial sync
	timeout       time.Duration
	fullState     bool
	useStateAfter bool
	setPresence   string
	f             filter.Filter
}

func (a *API) mountSync(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, post, put := fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut
	rt.Handle(get, p+"/sync", plain, a.authed(a.sync))
	rt.Handle(put, p+"/rooms/{roomId}/typing/{userId}", plain, a.authed(a.putTyping))
	rt.Handle(post, p+"/rooms/{roomId}/receipt/{receiptType}/{eventId}", plain, a.authed(a.postReceipt))
	rt.Handle(post, p+"/rooms/{roomId}/read_markers", plain, a.authed(a.postReadMarkers))
	rt.Handle(get, p+"/presence/{userId}/status", plain, a.authed(a.getPresence))
	rt.Handle(put, p+"/presence/{userId}/status", plain, a.authed(a.putPresence))
}

// parseSyncRequest reads the query parameters of GET /sync (sync.yaml).
func (a *API) parseSyncRequest(ctx *fasthttp.RequestCtx, s user.Session) (*syncRequest, error) {
	r := &syncRequest{s: s, userID: a.userID(s.Localpart)}
	if v := axhttp.Query(ctx, "since"); v != "" {
		t, err := parseSyncToken(v)
		if err != nil {
			return nil, axhttp.Errorf(axhttp.CodeInvalidParam, "Malformed since token")
		}
		r.since = &t
	}
	if v := axhttp.Query(ctx, "timeout"); v != "" {
		ms, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			return nil, axhttp.Errorf(axhttp.CodeInvalidParam, "timeout must be a non-negative integer")
		}
		r.timeout = min(time.Duration(min(ms, uint64(1<<40)))*time.Millisecond, a.syncMaxTimeout())
	}
	var err error
	if r.fullState, err = boolParam(ctx, "full_state"); err != nil {
		return nil, err
	}
	if r.useStateAfter, err = boolParam(ctx, "use_state_after"); err != nil {
		return nil, err
	}
	switch v := axhttp.Query(ctx, "set_presence"); v {
	case "":
		// sync.yaml: "If this parameter is omitted then the client is
		// automatically marked as online when it uses this API."
		r.setPresence = presenceOnline
	case presenceOnline, presenceOffline, presenceUnavailable:
		r.setPresence = v
	default:
		return nil, axhttp.Errorf(axhttp.CodeInvalidParam, "set_presence must be online, offline or unavailable")
	}
	if r.f, err = a.syncFilter(s, axhttp.Query(ctx, "filter")); err != nil {
		return nil, err
	}
	return r, nil
}

func (a *API) syncMaxTimeout() time.Duration {
	if a.cfg.SyncMaxTimeout > 0 {
		return a.cfg.SyncMaxTimeout
	}
	return DefaultSyncMaxTimeout
}

func boolParam(ctx *fasthttp.RequestCtx, name string) (bool, error) {
	switch axhttp.Query(ctx, name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, axhttp.Errorf(axhttp.CodeInvalidParam, "%s must be true or false", name)
}

// syncFilter reads the filter parameter: inline JSON, or the ID of one of
// the caller's stored filters (client-server-api "Filtering").
func (a *API) syncFilter(s user.Session, v string) (filter.Filter, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return filter.Filter{}, nil
	}
	key := filterKey{inline: v}
	if v[0] != '{' {
		key = filterKey{localpart: s.Localpart, id: v}
	}
	if f, ok := a.caches.filters.get(key); ok {
		return f, nil
	}
	raw := []byte(v)
	if v[0] != '{' {
		var err error
		raw, err = a.cfg.Store.Filter(s.Localpart, v)
		if errors.Is(err, persistence.ErrNotFound) {
			return filter.Filter{}, axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown filter ID")
		}
		if err != nil {
			return filter.Filter{}, err
		}
	}
	f, err := ParseFilter(raw)
	if err != nil {
		return f, err
	}
	a.caches.filters.put(key, f)
	return f, nil
}

// sync is GET /sync. A request with since and a timeout that finds nothing
// new parks with the user's actor until something of the user moves or the
// timeout passes; every wait is bounded by the timeout, because fasthttp
// cannot tell that a client went away.
func (a *API) sync(ctx *fasthttp.RequestCtx, s user.Session) error {
	req, err := a.parseSyncRequest(ctx, s)
	if err != nil {
		return err
	}
	if err := a.presenceSyncStarted(req.userID, req.setPresence); err != nil {
		return err
	}
	defer a.presenceSyncEnded(req.userID)
	deadline := time.Now().Add(req.timeout)
	var w *user.Waiter
	defer func() {
		if w != nil {
			a.cfg.Users.Unpark(s.Localpart, w)
		}
	}()
	var (
		resp  *syncResponse
		built syncToken // the positions resp was built at
	)
	for first := true; ; first = false {
		cur, err := a.syncPositions(s)
		if err != nil {
			return err
		}
		if first && req.since != nil {
			if err := a.checkSince(*req.since, cur); err != nil {
				return err
			}
		}
		if w != nil {
			// A commit for us that is not visible yet: wait for it.
			if target := max(w.EventPosition(), a.lastCommitted(s.Localpart)); target > cur.Events {
				if cur, err = a.awaitEvents(s, target, deadline); err != nil {
					return err
				}
			}
		}
		// A look after parking, or after a wake-up, that finds every
		// stream where the last (empty) build left it would build the
		// same empty response: skip it (sync_nochange.go).
		reused := resp != nil && cur == built
		if !reused {
			if resp, err = a.buildSync(req, cur); err != nil {
				return err
			}
			built = cur
		}
		remaining := time.Until(deadline)
		select {
		case <-a.syncsStop:
			remaining = 0
		default:
		}
		if !resp.empty() || req.since == nil || req.fullState || remaining <= 0 {
			return a.writeSync(ctx, req, resp, reused)
		}
		if w == nil {
			// Register, then look again: whatever moves after the
			// registration wakes us, whatever moved before it is read now.
			w = user.NewWaiter()
			pc, cancel := context.WithTimeout(context.Background(), remaining)
			err := a.cfg.Users.Park(pc, s.Localpart, w)
			cancel()
			if err != nil {
				w = nil
				axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
				return nil
			}
			continue
		}
		t := time.NewTimer(remaining)
		select {
		case <-w.C():
			t.Stop()
		case <-t.C:
		case <-a.syncsStop:
			t.Stop()
			return a.writeSync(ctx, req, resp, true)
		}
	}
}

// StopSyncs makes every parked /sync answer now with what it has, and later
// ones answer without waiting, so that a shutdown does not wait out their
// timeouts.
func (a *API) StopSyncs() {
	a.syncsStopOnce.Do(func() { close(a.syncsStop) })
	a.bgMu.Lock()
	a.bgStopped = true
	a.bgMu.Unlock()
	a.bg.Wait()
}

// background runs f in its own goroutine unless StopSyncs has run, so that
// no wake-up reads the store after the server began to close it.
func (a *API) background(f func()) {
	a.bgMu.Lock()
	defer a.bgMu.Unlock()
	if a.bgStopped {
		return
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		f()
	}()
}

// awaitEvents waits, until the deadline, for the visible watermark to reach
// pos: a room woke us for a commit that settles behind a lower one still in
// flight.
func (a *API) awaitEvents(s user.Session, pos uint64, deadline time.Time) (syncToken, error) {
	for {
		visible, changed, err := a.cfg.Store.StreamChanged()
		if err != nil {
			return syncToken{}, err
		}
		if visible >= pos {
			break
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-changed:
			t.Stop()
			continue
		case <-t.C:
		}
		break
	}
	return a.syncPositions(s)
}

// syncPositions reads the current end of every stream the user syncs.
func (a *API) syncPositions(s user.Session) (syncToken, error) {
	st := a.cfg.Store
	var t syncToken
	var err error
	if t.Events, err = st.StreamPosition(); err != nil {
		return t, err
	}
	t.Typing = a.typing.position()
	if t.Receipts, err = st.ReceiptPosition(); err != nil {
		return t, err
	}
	if t.ToDevice, err = st.ToDevicePosition(s.Localpart, s.DeviceID); err != nil {
		return t, err
	}
	if t.AccountData, err = st.AccountDataPosition(s.Localpart); err != nil {
		return t, err
	}
	if a.cfg.UsePresence {
		if t.Presence, err = st.PresencePosition(); err != nil {
			return t, err
		}
	}
	if t.DeviceLists, err = st.DeviceListPosition(); err != nil {
		return t, err
	}
	return t, nil
}

// checkSince refuses a token that is ahead of the server's streams: one
// this server (or this user and device) never issued. Typing restarts with
// the process and presence may have been switched off, so those two are
// not checked.
func (a *API) checkSince(since, cur syncToken) error {
	if since.Events > cur.Events || since.Receipts > cur.Receipts || since.ToDevice > cur.ToDevice ||
		since.AccountData > cur.AccountData || since.DeviceLists > cur.DeviceLists {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown since token")
	}
	return nil
}
