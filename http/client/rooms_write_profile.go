package client

import (
	"encoding/json"
	"errors"
	"fmt"
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

// Profile propagation (client-server-api "Profiles": "the server MUST
// propagate the new display name / avatar URL to all rooms the user is
// joined to, by sending an updated m.room.member event"). A profile change
// sends a join→join member event with the new profile into every room the
// user is joined to, through each room's actor. At most profileFanout rooms
// are written at once; the PUT that made the change waits at most
// profileWait for them, which covers a user in a few dozen rooms, and a
// user in hundreds gets the reply while the rest are still being written.
const (
	profileFanout = 8
	profileWait   = 2 * time.Second
)

// propagateProfile writes localpart's current profile into the member
// events of the rooms they are joined to and returns when all rooms are
// done or profileWait has passed, whichever comes first; the rest continue
// in the background. Failures are logged: the profile itself is stored, and
// a room that missed the change gets it with the next one.
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
				if err := a.updateMemberProfile(localpart, roomID); err != nil {
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

// updateMemberProfile sends localpart's profile, read now, as a new join
// member event into roomID, unless their member event there already says
// the same. Reading the profile here rather than once per change keeps a
// room from ending on an older profile when two changes overlap.
func (a *API) updateMemberProfile(localpart, roomID string) error {
	userID := a.userID(localpart)
	opts, err := a.withProfile(localpart, core.MemberOptions{})
	if err != nil {
		return err
	}
	cur, err := a.cfg.Store.CurrentStateEvent(roomID, event.TypeMember, userID)
	if err != nil {
		return fmt.Errorf("member event: %w", err)
	}
	var c struct {
		Membership  string `json:"membership"`
		DisplayName string `json:"displayname"`
		AvatarURL   string `json:"avatar_url"`
	}
	if h, err := decodeEventHeader(cur.Raw); err != nil {
		return err
	} else if err := json.Unmarshal(h.Content, &c); err != nil {
		return fmt.Errorf("%w: member content: %v", persistence.ErrCorrupt, err)
	}
	if c.Membership != event.MembershipJoin {
		return nil // left since the rooms were listed
	}
	if c.DisplayName == opts.DisplayName && c.AvatarURL == opts.AvatarURL {
		return nil
	}
	ctx, cancel := a.ctx()
	defer cancel()
	_, err = a.cfg.Rooms.Propose(ctx, roomID, core.Join(userID, opts), nil)
	return err
}
