package client

import (
	"errors"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/persistence"
)

// Automatic presence (client-server-api module "Presence": "the server
// will automatically set a user's presence to unavailable if their last
// active time was over a threshold value", and offline when the user's
// clients stop polling). The thresholds are Synapse's.
const (
	// presenceIdleAfter: an online user with no activity for this long
	// becomes unavailable.
	presenceIdleAfter = 5 * time.Minute
	// presenceOfflineAfter: a user with no /sync in flight, whose last
	// /sync and last activity are both older than this, becomes offline.
	presenceOfflineAfter = 30 * time.Second
	// presenceActiveWindow: currently_active holds while the last
	// activity is younger than this.
	presenceActiveWindow = 60 * time.Second
	// presenceSweepEvery is how often the one sweeper looks at the
	// tracked users.
	presenceSweepEvery = 5 * time.Second
	// presenceFederationPing: a user who is not offline is sent to the
	// other servers again after this long without a change, because
	// Synapse takes a remote user it has heard nothing of for 30 minutes
	// to be offline.
	presenceFederationPing = 25 * time.Minute
	// presenceRemoteTimeout: a remote user not offline whom no EDU has
	// mentioned for this long is taken to be offline (their server may be
	// gone; live servers re-send every presenceFederationPing).
	presenceRemoteTimeout = 30 * time.Minute
)

// presenceTracker holds, for the local users who are not offline, what
// presence decays by. A user enters it when they become online or
// unavailable and leaves it when they go offline, so the sweeper's pass
// is over the users who are around, and an offline user's /sync costs a
// map miss.
//
// Changes are decided under mu and written under wmu, which the decider
// takes before it lets go of mu (commitPresence): writes reach the store
// in the order they were decided, yet a /sync that changes nothing never
// waits for another's fsync.
type presenceTracker struct {
	mu    sync.Mutex
	wmu   sync.Mutex
	users map[string]*presenceLive
	// remote is what the sweeper follows of remote users (sweepRemote),
	// touched by the sweeper alone.
	remote presenceRemote
}

// presenceLive is one tracked user's presence and activity; times are
// Unix milliseconds.
type presenceLive struct {
	state           string
	statusMsg       string
	currentlyActive bool
	lastActive      int64
	// lastSync is when a /sync of the user last started or ended; syncing
	// counts the /syncs in flight.
	lastSync int64
	syncing  int
	// federatedAt is when the user's presence last went to the other
	// servers.
	federatedAt int64
}

func newPresenceTracker() *presenceTracker {
	return &presenceTracker{users: map[string]*presenceLive{}, remote: presenceRemote{heard: map[string]remoteHeard{}}}
}

// startPresenceSweeper adopts the stored presence of local users and runs
// the sweeper until StopSyncs.
func (a *API) startPresenceSweeper() {
	if err := a.adoptStoredPresence(); err != nil {
		a.log.Warn("presence: reading the stored presence", a.errField(err))
	}
	a.background(func() {
		t := time.NewTicker(presenceSweepEvery)
		defer t.Stop()
		for {
			select {
			case <-a.syncsStop:
				return
			case <-t.C:
				a.sweepPresence()
			}
		}
	})
}

// sweepPresence applies the timeouts to every tracked user at the API's
// clock: offline when no client polls, else unavailable when idle, else
// currently_active cleared once the last activity leaves its window (so
// that those watching learn it, as Synapse sends).
func (a *API) sweepPresence() {
	t := a.presence
	now := a.cfg.Now().UnixMilli()
	if err := a.sweepRemote(now); err != nil {
		a.log.Warn("presence: timing out remote users", a.errField(err))
	}
	var changes []persistence.Presence
	t.mu.Lock()
	for userID, e := range t.users {
		switch {
		case e.syncing == 0 && now-max(e.lastSync, e.lastActive) > presenceOfflineAfter.Milliseconds():
			e.state, e.currentlyActive = presenceOffline, false
			delete(t.users, userID)
		case e.state == presenceOnline && now-e.lastActive > presenceIdleAfter.Milliseconds():
			e.state, e.currentlyActive = presenceUnavailable, false
		case e.state == presenceOnline && e.currentlyActive && now-e.lastActive > presenceActiveWindow.Milliseconds():
			e.currentlyActive = false
		default:
			if a.cfg.Federate != nil && now-e.federatedAt > presenceFederationPing.Milliseconds() {
				e.federatedAt = now
				a.cfg.Federate.Presence(e.record(userID))
			}
			continue
		}
		changes = append(changes, a.changed(userID, e, now))
	}
	if err := a.commitPresence(changes); err != nil {
		a.log.Warn("presence: storing timed-out presence", zap.Int("users", len(changes)), a.errField(err))
	}
}

// adoptStoredPresence tracks the local users a previous run left online
// or unavailable, as if their last /sync ended now: those whose clients do
// not come back go offline after presenceOfflineAfter instead of staying
// online for good.
func (a *API) adoptStoredPresence() error {
	pos, err := a.cfg.Store.PresencePosition()
	if err != nil {
		return err
	}
	all, err := a.cfg.Store.PresenceSince(0, pos)
	if err != nil {
		return err
	}
	suffix := ":" + a.cfg.ServerName
	now := a.cfg.Now().UnixMilli()
	t := a.presence
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range all {
		if p.Presence == presenceOffline || !strings.HasSuffix(p.UserID, suffix) {
			continue
		}
		t.users[p.UserID] = &presenceLive{state: p.Presence, statusMsg: p.StatusMsg,
			currentlyActive: p.CurrentlyActive, lastActive: p.LastActiveTS, lastSync: now, federatedAt: now}
	}
	return nil
}

// presenceSyncStarted notes a /sync of userID and applies its
// set_presence (sync.yaml): "online" marks an offline user online, but a
// poll is not activity, so it neither refreshes last_active nor brings an
// idle (unavailable) user back; "unavailable" marks the user so; "offline"
// means the poll does not touch presence at all. Every nil return must be
// matched by presenceSyncEnded.
func (a *API) presenceSyncStarted(userID, set string) error {
	if !a.cfg.UsePresence || set == presenceOffline {
		return nil
	}
	t := a.presence
	now := a.cfg.Now().UnixMilli()
	t.mu.Lock()
	e := t.users[userID]
	if e == nil && (set == presenceOnline || set == presenceUnavailable) {
		var err error
		if e, err = a.loadPresence(userID); err != nil {
			t.mu.Unlock()
			return err
		}
	}
	if e == nil {
		t.mu.Unlock()
		return nil
	}
	var changes []persistence.Presence
	switch {
	case set == presenceOnline && e.state == presenceOffline:
		e.state, e.lastActive, e.currentlyActive = presenceOnline, now, true
		changes = append(changes, a.changed(userID, e, now))
	case set == presenceUnavailable && e.state != presenceUnavailable:
		e.state, e.currentlyActive = presenceUnavailable, false
		changes = append(changes, a.changed(userID, e, now))
	}
	if e.state != presenceOffline {
		t.users[userID] = e
		e.syncing++
		e.lastSync = now
	}
	if err := a.commitPresence(changes); err != nil {
		a.presenceSyncEnded(userID)
		return err
	}
	return nil
}

// presenceSyncEnded notes the end of a /sync of userID.
func (a *API) presenceSyncEnded(userID string) {
	if !a.cfg.UsePresence {
		return
	}
	t := a.presence
	now := a.cfg.Now().UnixMilli()
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.users[userID]; e != nil {
		e.syncing = max(e.syncing-1, 0)
		e.lastSync = now
	}
}

// presenceActive notes activity of userID (a sent event, a receipt or a
// read marker, as Synapse counts them): last_active is now and an idle user
// is online again. An offline user stays offline, as in Synapse: activity
// alone does not make a user appear.
func (a *API) presenceActive(userID string) {
	if !a.cfg.UsePresence {
		return
	}
	t := a.presence
	now := a.cfg.Now().UnixMilli()
	t.mu.Lock()
	e := t.users[userID]
	if e == nil {
		t.mu.Unlock()
		return
	}
	changed := e.state != presenceOnline || !e.currentlyActive
	e.state, e.lastActive, e.currentlyActive = presenceOnline, now, true
	var changes []persistence.Presence
	if changed {
		changes = append(changes, a.changed(userID, e, now))
	}
	if err := a.commitPresence(changes); err != nil {
		a.log.Warn("presence: storing activity", zap.String("user_id", userID), a.errField(err))
	}
}

// setPresence is an explicit change (PUT /presence): online is activity,
// unavailable keeps the last activity, offline stops tracking. Only a
// change of state or message is written.
func (a *API) setPresence(userID, state string, statusMsg *string) error {
	t := a.presence
	now := a.cfg.Now().UnixMilli()
	t.mu.Lock()
	e := t.users[userID]
	if e == nil {
		var err error
		if e, err = a.loadPresence(userID); err != nil {
			t.mu.Unlock()
			return err
		}
	}
	changed := e.state != state || (statusMsg != nil && *statusMsg != e.statusMsg)
	if statusMsg != nil {
		e.statusMsg = *statusMsg
	}
	e.state = state
	switch state {
	case presenceOnline:
		changed = changed || !e.currentlyActive
		e.lastActive, e.currentlyActive = now, true
	default:
		e.currentlyActive = false
	}
	if state == presenceOffline {
		delete(t.users, userID)
	} else {
		t.users[userID] = e
	}
	var changes []persistence.Presence
	if changed {
		changes = append(changes, a.changed(userID, e, now))
	}
	return a.commitPresence(changes)
}

// loadPresence reads a user's stored presence into a fresh entry; a user
// never seen is offline. A stored online or unavailable left by a previous
// run is taken as it is and then decays like any other.
func (a *API) loadPresence(userID string) (*presenceLive, error) {
	p, err := a.cfg.Store.PresenceOf(userID)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return &presenceLive{state: presenceOffline}, nil
	case err != nil:
		return nil, err
	}
	return &presenceLive{state: p.Presence, statusMsg: p.StatusMsg, currentlyActive: p.CurrentlyActive, lastActive: p.LastActiveTS}, nil
}

// changed is the record of a change of e decided at now, noting that it
// goes to federation; the caller holds the tracker's mu.
func (a *API) changed(userID string, e *presenceLive, now int64) persistence.Presence {
	if a.cfg.Federate != nil {
		e.federatedAt = now
	}
	return e.record(userID)
}

// commitPresence is called with the tracker's mu held and releases it: it
// queues on wmu first, so the changes are stored (in one commit) in the
// order they were decided, then wakes the users who share a room with
// each and tells the other servers.
func (a *API) commitPresence(changes []persistence.Presence) error {
	t := a.presence
	if len(changes) == 0 {
		t.mu.Unlock()
		return nil
	}
	t.wmu.Lock()
	t.mu.Unlock()
	defer t.wmu.Unlock()
	if _, err := a.cfg.Store.PutPresences(changes); err != nil {
		return err
	}
	for _, p := range changes {
		a.background(func() { a.wakeSharing(p.UserID) })
		if a.cfg.Federate != nil {
			a.cfg.Federate.Presence(p)
		}
	}
	return nil
}

// record is e as stored and sent.
func (e *presenceLive) record(userID string) persistence.Presence {
	return persistence.Presence{UserID: userID, Presence: e.state, StatusMsg: e.statusMsg,
		LastActiveTS: e.lastActive, CurrentlyActive: e.currentlyActive}
}

// liveLastActive is the tracked last activity of a local user, which runs
// ahead of the stored one (activity of an online user is not written).
func (a *API) liveLastActive(userID string) (int64, bool) {
	t := a.presence
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.users[userID]; e != nil {
		return e.lastActive, true
	}
	return 0, false
}
