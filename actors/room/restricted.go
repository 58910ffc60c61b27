package room

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// joinRequest is a join the actor completes itself: on a restricted room it
// must name an authorising member, which only the room's current state can
// tell.
type joinRequest struct {
	userID string
	opts   core.MemberOptions
}

// joinProposal builds the join of r. When the room's join rule is
// restricted or knock_restricted and the user is neither invited nor
// joined, the join names join_authorised_via_users_server if the user is
// joined to one of the rooms the allow list names (client-server-api
// "Restricted rooms"; v8 and v10 auth rules). Otherwise the auth rules
// decide, and refuse an uninvited join to a restricted room.
func (a *roomActor) joinProposal(r joinRequest) core.Proposal {
	opts := r.opts
	switch a.room.Membership(r.userID) {
	case event.MembershipInvite, event.MembershipJoin:
		return core.Join(r.userID, opts)
	}
	rules := a.room.State(event.StateKey{Type: event.TypeJoinRules})
	if rules == nil {
		return core.Join(r.userID, opts)
	}
	var c struct {
		JoinRule string `json:"join_rule"`
		Allow    []struct {
			Type   string `json:"type"`
			RoomID string `json:"room_id"`
		} `json:"allow"`
	}
	if json.Unmarshal(rules.Content, &c) != nil || (c.JoinRule != "restricted" && c.JoinRule != "knock_restricted") {
		return core.Join(r.userID, opts)
	}
	for _, allow := range c.Allow {
		if allow.Type != "m.room_membership" || allow.RoomID == "" {
			continue
		}
		m, err := a.dir.cfg.Store.Membership(r.userID, allow.RoomID)
		if err != nil || m.Membership != event.MembershipJoin {
			continue
		}
		if via, ok := a.room.AuthorisingUser(); ok {
			opts.AuthorisedVia = via
		}
		break
	}
	return core.Join(r.userID, opts)
}
