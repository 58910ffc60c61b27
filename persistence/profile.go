package persistence

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

// PutProfile writes the profile of localpart and re-indexes the user's
// display name words in the user directory (userdirectory.go).
func (b *Batch) PutProfile(localpart string, p Profile) {
	if b.check(localpart) {
		b.setJSON(profileKey(localpart), p)
		b.indexProfile(localpart, p.DisplayName)
	}
}
