package user

import (
	"errors"
	"time"

	"github.com/axonhs/axon/persistence"
)

// Command is one state change of one user, applied by that user's actor.
type Command interface {
	apply(s *state) (any, error)
}

// LoginOptions say whether and how a device and its tokens are created.
type LoginOptions struct {
	DeviceID    string // empty: generate one
	DisplayName string // initial_device_display_name
	IP          string
	Refresh     bool
}

// Registration creates an account.
type Registration struct {
	Localpart    string
	PasswordHash string // bcrypt; empty for no password
	Admin        bool
	Guest        bool
	UserType     string
	// Login is nil for inhibit_login.
	Login *LoginOptions
}

func (r Registration) apply(s *state) (any, error) {
	if _, err := s.store.Account(s.localpart); err == nil {
		return nil, ErrUserInUse
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return nil, err
	}
	now := s.nowMS()
	b := s.store.NewBatch()
	b.PutAccount(s.localpart, persistence.Account{
		PasswordHash: r.PasswordHash, CreatedMS: now, Admin: r.Admin, Guest: r.Guest, UserType: r.UserType,
	})
	c := Credentials{Localpart: s.localpart}
	if r.Login != nil {
		c = s.newDevice(b, *r.Login, r.Guest, now)
	}
	return c, s.commit(b, nil)
}

// newDevice adds a device and its tokens to b.
func (s *state) newDevice(b *persistence.Batch, o LoginOptions, guest bool, nowMS int64) Credentials {
	id := o.DeviceID
	if id == "" {
		id = NewDeviceID()
	}
	b.PutDevice(s.localpart, persistence.Device{ID: id, DisplayName: o.DisplayName, CreatedMS: nowMS, LastSeenMS: nowMS, LastSeenIP: o.IP})
	// Spec "Tracking the device list for a user": a new device is a change
	// of the user's device list.
	s.deviceListChanged = true
	c, _ := s.issue(b, id, o.Refresh, guest, nil)
	return c
}

// Login opens a session for a user whose password the caller has already
// checked against VerifiedHash. If the hash changed in between (a password
// change raced the login), the login is refused.
type Login struct {
	VerifiedHash string
	LoginOptions
}

func (l Login) apply(s *state) (any, error) {
	a, err := s.liveAccount()
	if errors.Is(err, ErrUnknownUser) {
		return nil, ErrForbidden
	}
	if err != nil {
		return nil, err
	}
	if a.PasswordHash == "" || a.PasswordHash != l.VerifiedHash {
		return nil, ErrForbidden
	}
	now := s.nowMS()
	b := s.store.NewBatch()
	var revoked []persistence.TokenHash
	if l.DeviceID != "" {
		// Spec (POST /login, device_id): logging in with a known device ID
		// invalidates any access token previously associated with it.
		if old, err := s.store.Device(s.localpart, l.DeviceID); err == nil {
			if revoked, err = s.revokeDevice(b, l.DeviceID); err != nil {
				b.Close()
				return nil, err
			}
			if l.DisplayName == "" {
				l.DisplayName = old.DisplayName
			}
		}
	}
	c := s.newDevice(b, l.LoginOptions, a.Guest, now)
	return c, s.commit(b, revoked)
}

// Logout deletes one device and all its tokens.
type Logout struct{ DeviceID string }

func (l Logout) apply(s *state) (any, error) {
	b := s.store.NewBatch()
	revoked, err := s.deleteDevices(b, []string{l.DeviceID})
	if err != nil {
		b.Close()
		return nil, err
	}
	return nil, s.commit(b, revoked)
}

// LogoutAll deletes every device of the user, except KeepDeviceID if set.
type LogoutAll struct{ KeepDeviceID string }

func (l LogoutAll) apply(s *state) (any, error) {
	ids, err := s.allDeviceIDs()
	if err != nil {
		return nil, err
	}
	doomed := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != l.KeepDeviceID {
			doomed = append(doomed, id)
		}
	}
	b := s.store.NewBatch()
	revoked, err := s.deleteDevices(b, doomed)
	if err != nil {
		b.Close()
		return nil, err
	}
	return nil, s.commit(b, revoked)
}

// ChangePassword replaces the password hash; with LogoutDevices it also
// deletes every device except KeepDeviceID (spec: POST
// /account/password, logout_devices).
type ChangePassword struct {
	NewHash       string
	LogoutDevices bool
	KeepDeviceID  string
}

func (c ChangePassword) apply(s *state) (any, error) {
	a, err := s.liveAccount()
	if err != nil {
		return nil, err
	}
	a.PasswordHash = c.NewHash
	b := s.store.NewBatch()
	b.PutAccount(s.localpart, a)
	var revoked []persistence.TokenHash
	if c.LogoutDevices {
		ids, err := s.allDeviceIDs()
		if err != nil {
			b.Close()
			return nil, err
		}
		others := make([]string, 0, len(ids))
		for _, id := range ids {
			if id != c.KeepDeviceID {
				others = append(others, id)
			}
		}
		if revoked, err = s.deleteDevices(b, others); err != nil {
			b.Close()
			return nil, err
		}
	}
	return nil, s.commit(b, revoked)
}

// Deactivate marks the account deactivated, removes its password and deletes
// every device and token. The localpart stays taken.
type Deactivate struct{}

func (Deactivate) apply(s *state) (any, error) {
	a, err := s.liveAccount()
	if err != nil {
		return nil, err
	}
	a.Deactivated = true
	a.PasswordHash = ""
	ids, err := s.allDeviceIDs()
	if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	b.PutAccount(s.localpart, a)
	revoked, err := s.deleteDevices(b, ids)
	if err != nil {
		b.Close()
		return nil, err
	}
	return nil, s.commit(b, revoked)
}

// RenameDevice sets a device's display name.
type RenameDevice struct{ DeviceID, DisplayName string }

func (r RenameDevice) apply(s *state) (any, error) {
	d, err := s.store.Device(s.localpart, r.DeviceID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrUnknownDevice
	}
	if err != nil {
		return nil, err
	}
	d.DisplayName = r.DisplayName
	b := s.store.NewBatch()
	b.PutDevice(s.localpart, d)
	return nil, s.commit(b, nil)
}

// DeleteDevices deletes devices and their tokens; unknown IDs are ignored
// (spec: POST /delete_devices).
type DeleteDevices struct{ DeviceIDs []string }

func (d DeleteDevices) apply(s *state) (any, error) {
	var existing []string
	for _, id := range d.DeviceIDs {
		if _, err := s.store.Device(s.localpart, id); err == nil {
			existing = append(existing, id)
		} else if !errors.Is(err, persistence.ErrNotFound) {
			return nil, err
		}
	}
	b := s.store.NewBatch()
	revoked, err := s.deleteDevices(b, existing)
	if err != nil {
		b.Close()
		return nil, err
	}
	return nil, s.commit(b, revoked)
}

// refresh rotates a refresh token (spec: client-server-api "Refreshing
// access tokens"). The access token issued with it is revoked at once; the
// refresh token itself stays valid, linked to its successor, until the new
// access or refresh token is first used, so that a client that lost the
// response can retry. Using it again replaces the unused successor pair.
type refresh struct{ hash persistence.TokenHash }

func (r refresh) apply(s *state) (any, error) {
	rt, err := s.store.RefreshToken(r.hash)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && rt.Localpart != s.localpart) {
		return nil, ErrUnknownToken
	}
	if err != nil {
		return nil, err
	}
	if rt.ExpiresMS != 0 && s.nowMS() >= rt.ExpiresMS {
		return nil, ErrTokenExpired
	}
	acct, err := s.liveAccount()
	if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	revoked := []persistence.TokenHash{rt.Access}
	b.DeleteAccessToken(rt.Access, s.localpart, rt.DeviceID)
	if rt.Next != nil {
		if next, err := s.store.RefreshToken(*rt.Next); err == nil {
			b.DeleteRefreshToken(*rt.Next, s.localpart, next.DeviceID)
			b.DeleteAccessToken(next.Access, s.localpart, next.DeviceID)
			revoked = append(revoked, next.Access)
		} else if !errors.Is(err, persistence.ErrNotFound) {
			b.Close()
			return nil, err
		}
	}
	if rt.PrevRefresh != nil {
		// This token is being used: its predecessor is done.
		b.DeleteRefreshToken(*rt.PrevRefresh, s.localpart, rt.DeviceID)
		rt.PrevRefresh = nil
	}
	c, next := s.issue(b, rt.DeviceID, true, acct.Guest, &r.hash)
	rt.Next = &next
	b.PutRefreshToken(r.hash, rt)
	return c, s.commit(b, revoked)
}

// retirePrevious runs on the first use of a refreshed access token: the
// refresh token it replaced is revoked and the links are cleared.
type retirePrevious struct{ access persistence.TokenHash }

func (r retirePrevious) apply(s *state) (any, error) {
	at, err := s.store.AccessToken(r.access)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && (at.Localpart != s.localpart || at.PrevRefresh == nil)) {
		return nil, nil // already retired, or revoked meanwhile
	}
	if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	b.DeleteRefreshToken(*at.PrevRefresh, s.localpart, at.DeviceID)
	at.PrevRefresh = nil
	b.PutAccessToken(r.access, at)
	if at.Refresh != nil {
		if rt, err := s.store.RefreshToken(*at.Refresh); err == nil {
			rt.PrevRefresh = nil
			b.PutRefreshToken(*at.Refresh, rt)
		}
	}
	return nil, s.commit(b, []persistence.TokenHash{r.access})
}

// touchInterval is how stale a device's stored last-seen time may get.
const touchInterval = time.Minute

// touch records that a device was just used from ip (GET /devices shows
// last_seen_ts and last_seen_ip). It is sent without waiting for a reply
// and written without fsync: losing one in a crash is harmless.
type touch struct {
	deviceID string
	ip       string
}

func (t touch) apply(s *state) (any, error) {
	now := s.nowMS()
	if last, ok := s.seen[t.deviceID]; ok && now-last < touchInterval.Milliseconds() {
		return nil, nil
	}
	d, err := s.store.Device(s.localpart, t.deviceID)
	if err != nil {
		return nil, nil // logged out meanwhile
	}
	if s.seen == nil {
		s.seen = make(map[string]int64)
	}
	s.seen[t.deviceID] = now
	d.LastSeenMS, d.LastSeenIP = now, t.ip
	b := s.store.NewBatch()
	b.PutDevice(s.localpart, d)
	return nil, b.CommitNoSync()
}
