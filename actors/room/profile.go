package room

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// profileRequest asks a room's actor to bring a local member's event up to
// date with their profile (profileProposal).
type profileRequest struct {
	userID    string
	localpart string
}

// UpdateProfile has roomID send a new join member event for userID that
// carries the display name and avatar the profile store holds for
// localpart at the time the room's actor handles the request
// (client-server-api "Profiles": profile changes are propagated to every
// room the user is joined to by an updated m.room.member event). Nothing is
// sent, and the event ID is "", when the user is not joined or their member
// event already says the same. Because the actor reads the profile itself,
// overlapping changes cannot leave a room on an older one.
func (d *Directory) UpdateProfile(ctx context.Context, roomID, userID, localpart string) (string, error) {
	return d.send(ctx, &envelope{roomID: roomID, profile: &profileRequest{userID: userID, localpart: localpart}})
}

// profileProposal builds the member event of r, or reports that none is
// needed.
func (a *roomActor) profileProposal(r profileRequest) (p core.Proposal, needed bool, err error) {
	if a.room.Membership(r.userID) != event.MembershipJoin {
		return p, false, nil
	}
	prof, err := a.dir.cfg.Store.Profile(r.localpart)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return p, false, fmt.Errorf("profile of %s: %w", r.userID, err)
	}
	var cur struct {
		DisplayName string `json:"displayname"`
		AvatarURL   string `json:"avatar_url"`
	}
	if ev := a.room.State(event.StateKey{Type: event.TypeMember, StateKey: r.userID}); ev != nil {
		// Content that is not an object reads as having no profile.
		_ = json.Unmarshal(ev.Content, &cur)
	}
	if cur.DisplayName == prof.DisplayName && cur.AvatarURL == prof.AvatarURL {
		return p, false, nil
	}
	return core.Join(r.userID, core.MemberOptions{DisplayName: prof.DisplayName, AvatarURL: prof.AvatarURL}), true, nil
}
