package auth

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
)

// memberContent is the part of m.room.member content the rules read.
type memberContent struct {
	Membership *string `json:"membership"`
	// Kept raw: the rules distinguish "absent" from "present but wrong".
	ThirdPartyInvite  json.RawMessage `json:"third_party_invite"`
	JoinAuthorisedVia json.RawMessage `json:"join_authorised_via_users_server"`
}

// checkMember is the m.room.member rule (v1 rule 5, v6–v11 rule 4, v12
// rule 5). Its sub-rule 2 in v8+ (join_authorised_via_users_server must
// have signed) needs signatures and is CheckSigners's.
func (c *checker) checkMember() error {
	ev, n := c.ev, c.n
	var mc memberContent
	if ev.StateKey == nil {
		return c.reject(n.member, "member", "event has no state_key", 1)
	}
	if json.Unmarshal(ev.Content, &mc) != nil || mc.Membership == nil {
		return c.reject(n.member, "member", "content has no membership", 1)
	}
	target := *ev.StateKey
	switch *mc.Membership {
	case event.MembershipJoin:
		return c.checkJoin(target, &mc)
	case event.MembershipInvite:
		return c.checkInvite(target, &mc)
	case event.MembershipLeave:
		return c.checkLeave(target)
	case event.MembershipBan:
		return c.checkBan(target)
	case event.MembershipKnock:
		if n.memberKnock != 0 {
			return c.checkKnock(target)
		}
	}
	return c.reject(n.member, "member", "unknown membership "+*mc.Membership, n.memberUnknown)
}

// checkJoin is member/join.
func (c *checker) checkJoin(target string, mc *memberContent) error {
	ev, n, v := c.ev, c.n, c.v
	const path = "member/join"
	// 1. The creator's own join straight after the create event. v1–v10
	// name the creator in content.creator, v11+ use the create's sender.
	if len(ev.PrevEvents) == 1 && ev.PrevEvents[0] == c.create.ID && target == c.roomCreatorForJoin() {
		return nil
	}
	if ev.Sender != target {
		return c.reject(n.member, path, "sender does not match state_key", n.memberJoin, 2)
	}
	current := currentMembership(c.state, target)
	if current == event.MembershipBan {
		return c.reject(n.member, path, "sender is banned", n.memberJoin, 3)
	}
	joinRule := joinRuleOf(c.state)
	invited := current == event.MembershipInvite || current == event.MembershipJoin
	switch {
	case joinRule == "invite" || (v.Knock && joinRule == "knock"):
		if invited {
			return nil
		}
	case (v.Restricted && joinRule == "restricted") || (v.KnockRestricted && joinRule == "knock_restricted"):
		if invited {
			return nil
		}
		var via string
		if mc.JoinAuthorisedVia == nil || json.Unmarshal(mc.JoinAuthorisedVia, &via) != nil {
			return c.reject(n.member, path, "restricted join without a join_authorised_via_users_server user", n.memberJoin, n.joinRestricted, 2)
		}
		if currentMembership(c.state, via) != event.MembershipJoin {
			return c.reject(n.member, path, "join_authorised_via_users_server user is not joined", n.memberJoin, n.joinRestricted, 2)
		}
		if !c.power(via).atLeast(c.powerLevels().Invite) {
			return c.reject(n.member, path, "join_authorised_via_users_server user cannot invite", n.memberJoin, n.joinRestricted, 2)
		}
		return nil
	case joinRule == "public":
		return nil
	}
	return c.reject(n.member, path, "join rule "+joinRule+" does not admit the sender", n.memberJoin, n.joinOtherwise)
}

// roomCreatorForJoin is "the creator" of member/join rule 1: content.creator
// in v1–v10, the create event's sender from v11 (additional_creators of v12
// do not count here).
func (c *checker) roomCreatorForJoin() string {
	if c.v.CreatorInContent {
		if cs := creators(c.v, c.create); len(cs) == 1 {
			return cs[0]
		}
		return ""
	}
	return c.create.Sender
}

// checkInvite is member/invite.
func (c *checker) checkInvite(target string, mc *memberContent) error {
	n := c.n
	const path = "member/invite"
	if mc.ThirdPartyInvite != nil {
		return c.checkThirdPartyInvite(target, mc.ThirdPartyInvite)
	}
	if currentMembership(c.state, c.ev.Sender) != event.MembershipJoin {
		return c.reject(n.member, path, "sender is not joined", n.memberInvite, 2)
	}
	switch currentMembership(c.state, target) {
	case event.MembershipJoin:
		return c.reject(n.member, path, "target is already joined", n.memberInvite, 3)
	case event.MembershipBan:
		return c.reject(n.member, path, "target is banned", n.memberInvite, 3)
	}
	if !c.power(c.ev.Sender).atLeast(c.powerLevels().Invite) {
		return c.reject(n.member, path, "sender's power level is below the invite level", n.memberInvite, 5)
	}
	return nil
}

// checkLeave is member/leave (leaving, rejecting, kicking, unbanning).
func (c *checker) checkLeave(target string) error {
	ev, n := c.ev, c.n
	const path = "member/leave"
	if ev.Sender == target {
		switch currentMembership(c.state, target) {
		case event.MembershipInvite, event.MembershipJoin:
			return nil
		case event.MembershipKnock:
			if c.v.Knock {
				return nil
			}
		}
		return c.reject(n.member, path, "sender is not invited or joined", n.memberLeave, 1)
	}
	if currentMembership(c.state, ev.Sender) != event.MembershipJoin {
		return c.reject(n.member, path, "sender is not joined", n.memberLeave, 2)
	}
	pl := c.powerLevels()
	sender := c.power(ev.Sender)
	if currentMembership(c.state, target) == event.MembershipBan && !sender.atLeast(pl.Ban) {
		return c.reject(n.member, path, "target is banned and sender's power level is below the ban level", n.memberLeave, 3)
	}
	if sender.atLeast(pl.Kick) && c.power(target).less(sender) {
		return nil
	}
	return c.reject(n.member, path, "sender is below the kick level or not above the target", n.memberLeave, 5)
}

// checkBan is member/ban.
func (c *checker) checkBan(target string) error {
	ev, n := c.ev, c.n
	const path = "member/ban"
	if currentMembership(c.state, ev.Sender) != event.MembershipJoin {
		return c.reject(n.member, path, "sender is not joined", n.memberBan, 1)
	}
	sender := c.power(ev.Sender)
	if sender.atLeast(c.powerLevels().Ban) && c.power(target).less(sender) {
		return nil
	}
	return c.reject(n.member, path, "sender is below the ban level or not above the target", n.memberBan, 3)
}

// checkKnock is member/knock (v7 and later).
func (c *checker) checkKnock(target string) error {
	ev, n, v := c.ev, c.n, c.v
	const path = "member/knock"
	joinRule := joinRuleOf(c.state)
	if joinRule != "knock" && !(v.KnockRestricted && joinRule == "knock_restricted") {
		return c.reject(n.member, path, "join rule "+joinRule+" does not allow knocking", n.memberKnock, 1)
	}
	if ev.Sender != target {
		return c.reject(n.member, path, "sender does not match state_key", n.memberKnock, 2)
	}
	switch currentMembership(c.state, ev.Sender) {
	case event.MembershipBan, event.MembershipInvite, event.MembershipJoin:
		return c.reject(n.member, path, "sender is banned, invited or joined", n.memberKnock, 4)
	}
	return nil
}
