package user

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/persistence"
)

// state is what one user actor works with. Only the actor's goroutine uses
// it, so it needs no locks.
type state struct {
	localpart string
	store     *persistence.Store
	cache     *tokenCache
	cfg       *Config
	// seen is when each device's last-seen row was last written, so that
	// busy devices are not rewritten on every request.
	seen map[string]int64
	// onProfile is the directory's profile-change hook (userdata.go).
	onProfile *atomic.Pointer[ProfileHook]
	// claimed is the last one-time key claimed per device and algorithm
	// ("device\x00alg"), where the next claim starts; reset by uploads.
	claimed map[string]string
	// deviceListChanged makes commit record a device-list change.
	deviceListChanged bool
	// waiters are the user's parked /sync requests and hooks the
	// directory's sync hooks (sync_waiters.go).
	waiters map[*Waiter]struct{}
	hooks   *syncHooks
}

func (s *state) nowMS() int64 { return s.cfg.Now().UnixMilli() }

// account loads the account and refuses deactivated ones.
func (s *state) liveAccount() (persistence.Account, error) {
	a, err := s.store.Account(s.localpart)
	if errors.Is(err, persistence.ErrNotFound) {
		return a, ErrUnknownUser
	}
	if err != nil {
		return a, err
	}
	if a.Deactivated {
		return a, ErrDeactivated
	}
	return a, nil
}

// issue adds a fresh access token (and refresh token when asked) for
// deviceID to b. Spec: client-server-api "Refreshing access tokens": a client
// that asked for a refresh token gets an access token that expires.
func (s *state) issue(b *persistence.Batch, deviceID string, withRefresh, guest bool, prev *persistence.TokenHash) (Credentials, persistence.TokenHash) {
	c := Credentials{Localpart: s.localpart, DeviceID: deviceID, AccessToken: newToken("axa_")}
	ah := persistence.HashToken(c.AccessToken)
	at := persistence.AccessToken{Localpart: s.localpart, DeviceID: deviceID, PrevRefresh: prev, Guest: guest}
	life := s.cfg.AccessTokenLifetime
	if withRefresh && life == 0 {
		life = DefaultRefreshingAccessTokenLifetime
	}
	if life > 0 {
		c.ExpiresIn = life
		at.ExpiresMS = s.nowMS() + life.Milliseconds()
	}
	var rh persistence.TokenHash
	if withRefresh {
		c.RefreshToken = newToken("axr_")
		rh = persistence.HashToken(c.RefreshToken)
		at.Refresh = &rh
		rt := persistence.RefreshToken{Localpart: s.localpart, DeviceID: deviceID, Access: ah, PrevRefresh: prev}
		if s.cfg.RefreshTokenLifetime > 0 {
			rt.ExpiresMS = s.nowMS() + s.cfg.RefreshTokenLifetime.Milliseconds()
		}
		b.PutRefreshToken(rh, rt)
	}
	b.PutAccessToken(ah, at)
	return c, rh
}

// DefaultRefreshingAccessTokenLifetime is the access-token lifetime used
// when a client asks for a refresh token and access_token_lifetime is 0.
const DefaultRefreshingAccessTokenLifetime = 5 * time.Minute

// revokeDevice adds the deletion of every token of deviceID to b and returns
// the access-token hashes to drop from the cache after the commit.
func (s *state) revokeDevice(b *persistence.Batch, deviceID string) ([]persistence.TokenHash, error) {
	access, refresh, err := s.store.DeviceTokens(s.localpart, deviceID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens of %s: %w", deviceID, err)
	}
	for _, h := range access {
		b.DeleteAccessToken(h, s.localpart, deviceID)
	}
	for _, h := range refresh {
		b.DeleteRefreshToken(h, s.localpart, deviceID)
	}
	return access, nil
}

// deleteDevices adds the removal of the devices and all their tokens to b.
func (s *state) deleteDevices(b *persistence.Batch, ids []string) ([]persistence.TokenHash, error) {
	var all []persistence.TokenHash
	for _, id := range ids {
		hs, err := s.revokeDevice(b, id)
		if err != nil {
			return nil, err
		}
		all = append(all, hs...)
		b.DeleteDevice(s.localpart, id)
		// Spec: "Tracking the device list for a user": a deleted device
		// leaves its keys and inbox behind nowhere, and is a change.
		b.DeleteDeviceE2EE(s.localpart, id)
		s.deviceListChanged = true
	}
	return all, nil
}

// commit commits b and only then drops revoked tokens from the cache.
func (s *state) commit(b *persistence.Batch, revoked []persistence.TokenHash) error {
	var err error
	if s.deviceListChanged {
		s.deviceListChanged = false
		_, err = s.store.CommitDeviceListChange(b, s.localpart)
	} else {
		err = b.Commit()
	}
	if err != nil {
		return err
	}
	if len(revoked) > 0 {
		s.cache.invalidate(revoked...)
	}
	return nil
}

func (s *state) allDeviceIDs() ([]string, error) {
	ds, err := s.store.Devices(s.localpart)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids, nil
}
