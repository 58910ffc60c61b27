package client

import (
	"slices"
	"sync"
	"time"
)

// typingTracker holds who is typing in which room (client-server-api
// module "Typing Notifications"). Typing is ephemeral: it lives in memory,
// each notice expires after its timeout, and the tracker numbers its
// changes in one stream that /sync tokens carry. A restart forgets it, as
// the spec allows for EDUs.
type typingTracker struct {
	mu    sync.Mutex
	pos   uint64
	rooms map[string]*typingRoom
	now   func() time.Time
	// changed is told of a room whose typing set changed; it runs outside
	// the lock.
	changed func(roomID string)
}

type typingRoom struct {
	pos   uint64               // the position of the room's last change
	users map[string]time.Time // user ID → expiry
}

// maxTypingTimeout caps a client's typing timeout.
const maxTypingTimeout = 2 * time.Minute

func newTypingTracker(now func() time.Time, changed func(string)) *typingTracker {
	return &typingTracker{rooms: map[string]*typingRoom{}, now: now, changed: changed}
}

// set records that userID started (typing true, for timeout) or stopped
// typing in roomID.
func (t *typingTracker) set(roomID, userID string, typing bool, timeout time.Duration) {
	timeout = min(max(timeout, 0), maxTypingTimeout)
	t.mu.Lock()
	r := t.rooms[roomID]
	if r == nil {
		r = &typingRoom{users: map[string]time.Time{}}
		t.rooms[roomID] = r
	}
	_, was := r.users[userID]
	var expiry time.Time
	if typing {
		expiry = t.now().Add(timeout)
		r.users[userID] = expiry
	} else {
		delete(r.users, userID)
	}
	changed := was != typing
	if changed {
		t.pos++
		r.pos = t.pos
	}
	t.mu.Unlock()
	if typing {
		time.AfterFunc(timeout, func() { t.expire(roomID, userID, expiry) })
	}
	if changed {
		t.changed(roomID)
	}
}

// expire removes a typing notice whose timeout passed, unless it was
// renewed since.
func (t *typingTracker) expire(roomID, userID string, expiry time.Time) {
	t.mu.Lock()
	r := t.rooms[roomID]
	if r == nil || !r.users[userID].Equal(expiry) {
		t.mu.Unlock()
		return
	}
	delete(r.users, userID)
	t.pos++
	r.pos = t.pos
	if len(r.users) == 0 {
		// Keep the room's position: a sync since an older position still
		// has to see that nobody types any more.
		r.users = map[string]time.Time{}
	}
	t.mu.Unlock()
	t.changed(roomID)
}

// position is the typing stream's current position.
func (t *typingTracker) position() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos
}

// typingIn returns who types in roomID, sorted, and whether that changed
// after position since (a since beyond the current position, from before a
// restart, reads as "changed").
func (t *typingTracker) typingIn(roomID string, since, upTo uint64) ([]string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rooms[roomID]
	if r == nil {
		return nil, since > upTo
	}
	now := t.now()
	users := make([]string, 0, len(r.users))
	for u, exp := range r.users {
		if exp.After(now) {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	return users, r.pos > since || since > upTo
}

// RemoteTypingTimeout is how long a remote user's typing notice lasts: the
// m.typing EDU carries no timeout, and the sending server repeats it while
// the user types (Synapse's FEDERATION_TIMEOUT is 60 s, resent every 40 s).
const RemoteTypingTimeout = 60 * time.Second

// SetRemoteTyping records an m.typing EDU from another server (already
// checked by the federation API) so that the room's local members see it
// in their /sync, and wakes them.
func (a *API) SetRemoteTyping(roomID, userID string, typing bool) {
	a.typing.set(roomID, userID, typing, RemoteTypingTimeout)
}
