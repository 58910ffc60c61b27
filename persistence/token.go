package persistence

import (
	"crypto/sha256"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// HashToken is how access and refresh tokens are keyed: only their SHA-256 is
// ever stored.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// AccessToken resolves an access token hash, or ErrNotFound.
func (s *Store) AccessToken(h TokenHash) (AccessToken, error) {
	var t AccessToken
	err := s.getJSON(accessTokenKey(h), &t)
	return t, err
}

// RefreshToken resolves a refresh token hash, or ErrNotFound.
func (s *Store) RefreshToken(h TokenHash) (RefreshToken, error) {
	var t RefreshToken
	err := s.getJSON(refreshTokenKey(h), &t)
	return t, err
}

// PutAccessToken stores an access token and indexes it under its device.
func (b *Batch) PutAccessToken(h TokenHash, t AccessToken) {
	if b.check(t.Localpart, t.DeviceID) {
		b.setJSON(accessTokenKey(h), t)
		b.set(deviceTokenKey(prefixDeviceAccess, t.Localpart, t.DeviceID, h), nil)
	}
}

// DeleteAccessToken removes an access token and its index row.
func (b *Batch) DeleteAccessToken(h TokenHash, localpart, deviceID string) {
	if b.check(localpart, deviceID) {
		b.delete(accessTokenKey(h))
		b.delete(deviceTokenKey(prefixDeviceAccess, localpart, deviceID, h))
	}
}

// PutRefreshToken stores a refresh token and indexes it under its device.
func (b *Batch) PutRefreshToken(h TokenHash, t RefreshToken) {
	if b.check(t.Localpart, t.DeviceID) {
		b.setJSON(refreshTokenKey(h), t)
		b.set(deviceTokenKey(prefixDeviceRefresh, t.Localpart, t.DeviceID, h), nil)
	}
}

// DeleteRefreshToken removes a refresh token and its index row.
func (b *Batch) DeleteRefreshToken(h TokenHash, localpart, deviceID string) {
	if b.check(localpart, deviceID) {
		b.delete(refreshTokenKey(h))
		b.delete(deviceTokenKey(prefixDeviceRefresh, localpart, deviceID, h))
	}
}

// DeviceTokens lists the hashes of the access and refresh tokens of one
// device, from the per-device indexes.
func (s *Store) DeviceTokens(localpart, deviceID string) (access, refresh []TokenHash, err error) {
	if len(localpart) > maxKeyComponentBytes || len(deviceID) > maxKeyComponentBytes {
		return nil, nil, nil
	}
	if access, err = s.indexedHashes(deviceTokensPrefix(prefixDeviceAccess, localpart, deviceID)); err != nil {
		return nil, nil, err
	}
	refresh, err = s.indexedHashes(deviceTokensPrefix(prefixDeviceRefresh, localpart, deviceID))
	return access, refresh, err
}

func (s *Store) indexedHashes(prefix []byte) ([]TokenHash, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating token index: %w", err)
	}
	defer it.Close()
	var out []TokenHash
	for ok := it.First(); ok; ok = it.Next() {
		rest := it.Key()[len(prefix):]
		if len(rest) != len(TokenHash{}) {
			return nil, fmt.Errorf("%w: token index key", ErrCorrupt)
		}
		var h TokenHash
		copy(h[:], rest)
		out = append(out, h)
	}
	return out, it.Error()
}
