package client

import (
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
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

// Profile propagation (client-server-api "Events on Change of Profile
// Information": "an m.room.member event (with a join membership) is sent to
// every room the user is a member of, to update the displayname and
// avatar_url"; the m.presence half is not sent here). A profile change
// sends a join→join member event with the new profile into every room the
// user is joined to, through each room's actor. At most profileFanout rooms
// are written at once; the PUT that made the change waits at most
// profileWait for them, which covers a user in a few dozen rooms, and a
// user in hundreds gets the reply while the rest are still being written.
const (
	profileFanout = 8
	profileWait   = 2 * time.Second
)

// propagateProfile has every room localpart is joined to bring their
// member event up to date with their profile, and returns when all rooms
// are done or profileWait has passed, whichever comes first; the rest
// continue in the background. The room actor reads the profile when it
// handles the request (actors/room.Directory.UpdateProfile), so the
// background work touches no store and overlapping changes end on the
// newest. Failures are logged: the profile itself is stored, and a room
// that missed the change gets it with the next one.
func (a *API) propagateProfile(localpart string) {
	if a.cfg.Rooms == nil {
		return
	}
	userID := a.userID(localpart)
	rooms, err := a.cfg.Store.UserRooms(userID, event.MembershipJoin)
	if err != nil {
		a.log.Warn("profile propagation: listing rooms", zap.String("user_id", userID), zap.Error(err))
		return
	}
	if len(rooms) == 0 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sem := make(chan struct{}, profileFanout)
		var wg sync.WaitGroup
		for _, m := range rooms {
			sem <- struct{}{}
			wg.Add(1)
			go func(roomID string) {
				defer func() { <-sem; wg.Done() }()
				ctx, cancel := a.ctx()
				defer cancel()
				if _, err := a.cfg.Rooms.UpdateProfile(ctx, roomID, userID, localpart); err != nil {
					a.log.Warn("profile propagation", zap.String("user_id", userID), zap.String("room_id", roomID), zap.Error(err))
				}
			}(m.RoomID)
		}
		wg.Wait()
	}()
	timer := time.NewTimer(profileWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
}
