package room

import (
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
)

// MemberOptions are the optional fields of a membership event the client
// handlers fill in (client-server-api "Joining rooms", "Leaving rooms",
// "Banning users"; m.room.member schema).
type MemberOptions struct {
	Reason      string
	DisplayName string
	AvatarURL   string
	IsDirect    bool
	// AuthorisedVia is join_authorised_via_users_server on a join to a
	// restricted room: a joined user of this server who may invite
	// (v8-auth-rules, see Room.AuthorisingUser). The caller sets it after
	// checking the joiner is in one of the rooms the join rule allows.
	AuthorisedVia string
}

// content writes m.room.member content with membership m and the options
// that are set.
func (o MemberOptions) content(m string) json.RawMessage {
	c := map[string]any{"membership": m}
	if o.Reason != "" {
		c["reason"] = o.Reason
	}
	if o.DisplayName != "" {
		c["displayname"] = o.DisplayName
	}
	if o.AvatarURL != "" {
		c["avatar_url"] = o.AvatarURL
	}
	if o.IsDirect {
		c["is_direct"] = true
	}
	if o.AuthorisedVia != "" {
		c["join_authorised_via_users_server"] = o.AuthorisedVia
	}
	return mustMarshal(c)
}

// member is a membership proposal by sender about target.
func member(sender, target, m string, o MemberOptions) Proposal {
	return Proposal{Type: event.TypeMember, StateKey: StateKeyOf(target), Sender: sender, Content: o.content(m)}
}

// Join is userID joining the room, with the profile the caller looked up.
func Join(userID string, o MemberOptions) Proposal {
	return member(userID, userID, event.MembershipJoin, o)
}

// Leave is userID leaving the room, or rejecting an invite or withdrawing
// a knock.
func Leave(userID, reason string) Proposal {
	return member(userID, userID, event.MembershipLeave, MemberOptions{Reason: reason})
}

// Invite is sender inviting target; o carries reason and is_direct (and
// the invitee's profile, if the caller has it).
func Invite(sender, target string, o MemberOptions) Proposal {
	return member(sender, target, event.MembershipInvite, o)
}

// Kick is sender removing target from the room.
func Kick(sender, target, reason string) Proposal {
	return member(sender, target, event.MembershipLeave, MemberOptions{Reason: reason})
}

// Ban is sender banning target.
func Ban(sender, target, reason string) Proposal {
	return member(sender, target, event.MembershipBan, MemberOptions{Reason: reason})
}

// Unban is sender lifting target's ban.
func Unban(sender, target, reason string) Proposal {
	return member(sender, target, event.MembershipLeave, MemberOptions{Reason: reason})
}

// Knock is userID asking to be let in (room version 7 and later).
func Knock(userID string, o MemberOptions) Proposal {
	return member(userID, userID, event.MembershipKnock, o)
}

// checkMemberChange holds membership proposals to the preconditions the
// client API adds on top of the authorisation rules, which would otherwise
// accept them as no-ops: a kick needs a target who is in the room (joined,
// invited or knocking), an unban a target who is banned.
func (r *Room) checkMemberChange(p *Proposal) error {
	if p.Type != event.TypeMember || p.StateKey == nil || *p.StateKey == p.Sender {
		return nil
	}
	var c struct {
		Membership string `json:"membership"`
	}
	if json.Unmarshal(p.Content, &c) != nil || c.Membership != event.MembershipLeave {
		return nil
	}
	if r.Membership(*p.StateKey) == event.MembershipLeave {
		return fmt.Errorf("%w: %s is not in the room and not banned", ErrForbidden, *p.StateKey)
	}
	return nil
}

// AuthorisingUser picks the user of this server to name in
// join_authorised_via_users_server on a restricted join (client-server-api
// "Restricted rooms"; v8-auth-rules: the user must be joined and able to
// invite): the one with the highest power level, ties broken by user ID.
// ok is false when no local member can invite.
func (r *Room) AuthorisingUser() (userID string, ok bool) {
	pl, err := auth.PowerLevels(r.spec, r.state)
	if err != nil {
		return "", false
	}
	var best int64
	for _, u := range r.Joined() {
		if serverOf(u) != r.signer.ServerName {
			continue
		}
		level, creator := r.PowerLevel(u)
		if !creator && level < pl.Invite {
			continue
		}
		if !ok || level > best {
			userID, best, ok = u, level, true
		}
	}
	return userID, ok
}
