package client

import (
	"errors"

	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// withProfile fills in the display name and avatar of local user localpart
// from the profile store, for the m.room.member event that joins, invites
// or knocks them (client-server-api m.room.member: displayname and
// avatar_url are the user's profile as it was when the event was sent;
// Synapse does the same). A user without a profile gets neither field.
func (a *API) withProfile(localpart string, o core.MemberOptions) (core.MemberOptions, error) {
	p, err := a.cfg.Store.Profile(localpart)
	if errors.Is(err, persistence.ErrNotFound) {
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.DisplayName, o.AvatarURL = p.DisplayName, p.AvatarURL
	return o, nil
}
