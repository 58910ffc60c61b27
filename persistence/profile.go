package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Profile is a local user's public profile (spec: client-server-api
// "Profiles").
//
//	p | lp(localpart) → Profile
type Profile struct {
	DisplayName string `json:"displayname,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
}

func profileKey(localpart string) []byte { return appendComponent([]byte{prefixProfile}, localpart) }

// Profile returns the stored profile; a user who never set one has the
// zero Profile and ErrNotFound.
func (s *Store) Profile(localpart string) (Profile, error) {
	var p Profile
	if tooLong(localpart) {
		return p, ErrNotFound
	}
	return p, s.getJSON(profileKey(localpart), &p)
}

// PutProfile writes the profile of localpart.
func (b *Batch) PutProfile(localpart string, p Profile) {
	if b.check(localpart) {
		b.setJSON(profileKey(localpart), p)
	}
}

// ProfileMatch is one user found by SearchProfiles.
type ProfileMatch struct {
	Localpart string
	Profile
}

// SearchProfiles returns up to limit live, non-guest local users whose
// localpart or display name contains term (matched by the caller-supplied
// match function on each candidate), in localpart order, and whether more
// would have matched. It walks every account: fine at this server's size,
// and replaced by an index when the directory needs one.
func (s *Store) SearchProfiles(limit int, match func(localpart string, p Profile) bool) ([]ProfileMatch, bool, error) {
	var out []ProfileMatch
	limited := false
	err := s.scanPrefix([]byte{prefixAccount}, []byte{prefixAccount + 1}, func(k, v []byte) (bool, error) {
		lp, ok := readComponent(k[1:])
		if !ok {
			return false, fmt.Errorf("%w: account key", ErrCorrupt)
		}
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if a.Deactivated || a.Guest {
			return true, nil
		}
		p, err := s.Profile(lp)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if !match(lp, p) {
			return true, nil
		}
		if len(out) == limit {
			limited = true
			return false, nil
		}
		out = append(out, ProfileMatch{Localpart: lp, Profile: p})
		return true, nil
	})
	return out, limited, err
}
