package auth

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func TestAllowedMemberJoin(t *testing.T) {
	runMatrix(t, []authCase{
		{
			name:  "member/no membership in content is rejected",
			event: func(r *room) *event.Event { return r.ev(event.TypeMember, sk(bob), bob, `{"displayname":"b"}`) },
			want:  "{member}.1 member",
		},
		{
			name:  "member/membership that is not a string is rejected",
			event: func(r *room) *event.Event { return r.ev(event.TypeMember, sk(bob), bob, `{"membership":1}`) },
			want:  "{member}.1 member",
		},
		{
			name:  "member/no state_key is rejected",
			event: func(r *room) *event.Event { return r.ev(event.TypeMember, nil, bob, `{"membership":"join"}`) },
			want:  "{member}.1 member",
		},
		{
			name:  "member/unknown membership is rejected",
			event: func(r *room) *event.Event { return r.member(alice, alice, "wander", "") },
			want:  "{member}.{unknown} member",
		},
		{
			name:  "member/knock before v7 is an unknown membership",
			only:  noKnock,
			setup: func(r *room) { r.setJoinRule("knock") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{unknown} member",
		},
		{
			name: "member/join/creator's join right after the create event is allowed",
			event: func(r *room) *event.Event {
				e := r.member(alice, alice, "join", "")
				e.PrevEvents = []string{r.create.ID}
				delete(r.state, keyMember(alice))
				return e
			},
		},
		{
			name: "member/join/non-creator's join right after the create event is rejected",
			event: func(r *room) *event.Event {
				e := r.member(bob, bob, "join", "")
				e.PrevEvents = []string{r.create.ID}
				return e
			},
			want: "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name: "member/join/creator's join after other events needs the join rule",
			event: func(r *room) *event.Event {
				delete(r.state, keyMember(alice))
				return r.member(alice, alice, "join", "")
			},
			want: "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/sender not the state_key is rejected",
			setup: func(r *room) { r.setJoinRule("public") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "join", "") },
			want:  "{member}.{join}.2 member/join",
		},
		{
			name:  "member/join/banned sender is rejected",
			setup: func(r *room) { r.setJoinRule("public"); r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.3 member/join",
		},
		{
			name:  "member/join/public room admits anyone",
			setup: func(r *room) { r.setJoinRule("public") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name:  "member/join/invite room admits the invited",
			setup: func(r *room) { r.setJoinRule("invite"); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name:  "member/join/invite room admits the joined (profile change)",
			setup: func(r *room) { r.setJoinRule("invite"); r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", `"displayname":"B"`) },
		},
		{
			name:  "member/join/invite room refuses the uninvited",
			setup: func(r *room) { r.setJoinRule("invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/invite room refuses a user who left",
			setup: func(r *room) { r.setJoinRule("invite"); r.setMembership(bob, "leave") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/no join rules event acts as invite",
			setup: func(r *room) { r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name:  "member/join/join rules without join_rule act as invite",
			setup: func(r *room) { r.put(r.ev(event.TypeJoinRules, sk(""), alice, `{}`)); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name: "member/join/join_rule that is not a string admits no one",
			setup: func(r *room) {
				r.put(r.ev(event.TypeJoinRules, sk(""), alice, `{"join_rule":["public"]}`))
				r.setMembership(bob, "invite")
			},
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/private join rule refuses even the invited",
			setup: func(r *room) { r.setJoinRule("private"); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/knock room admits the invited",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name:  "member/join/knock rule before v7 is unknown and refuses the invited",
			only:  noKnock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
		{
			name:  "member/join/knock room refuses a knocker",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "knock") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinOtherwise} member/join",
		},
	})
}

// restrictedCases are the restricted-join rows, for join rule rule.
func restrictedCases(rule string) []authCase {
	name := "member/join/" + rule + "/"
	via := func(u string) string { return fmt.Sprintf(`"join_authorised_via_users_server":%q`, u) }
	set := func(r *room) {
		r.setJoinRule(rule)
		r.setMembership(carol, "join")
	}
	return []authCase{
		{
			name:  name + "invited user is allowed",
			setup: func(r *room) { set(r); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
		},
		{
			name:  name + "authorised by a joined user with invite power is allowed",
			setup: set,
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", via(carol)) },
		},
		{
			name:  name + "authorised by a creator is allowed",
			setup: set,
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", via(alice)) },
		},
		{
			name:  name + "without join_authorised_via_users_server is rejected",
			setup: set,
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", "") },
			want:  "{member}.{join}.{joinRestricted}.2 member/join",
		},
		{
			name:  name + "authorised by a user who is not joined is rejected",
			setup: func(r *room) { set(r); r.setMembership(carol, "leave") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", via(carol)) },
			want:  "{member}.{join}.{joinRestricted}.2 member/join",
		},
		{
			name: name + "authorised by a user below the invite level is rejected",
			setup: func(r *room) {
				set(r)
				r.setPowerLevels(fmt.Sprintf(`{"invite":50,"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", via(carol)) },
			want:  "{member}.{join}.{joinRestricted}.2 member/join",
		},
		{
			name:  name + "banned user is rejected even when authorised",
			setup: func(r *room) { set(r); r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "join", via(carol)) },
			want:  "{member}.{join}.3 member/join",
		},
	}
}

func TestAllowedMemberRestrictedJoin(t *testing.T) {
	var cases []authCase
	for _, c := range restrictedCases("restricted") {
		c.only = restricted
		cases = append(cases, c)
	}
	for _, c := range restrictedCases("knock_restricted") {
		c.only = knockRestr
		cases = append(cases, c)
	}
	cases = append(cases,
		authCase{
			name:  "member/join/restricted before v8 is unknown and refuses an authorised join",
			only:  noRestrict,
			setup: func(r *room) { r.setJoinRule("restricted"); r.setMembership(carol, "join") },
			event: func(r *room) *event.Event {
				return r.member(bob, bob, "join", fmt.Sprintf(`"join_authorised_via_users_server":%q`, carol))
			},
			want: "{member}.{join}.{joinOtherwise} member/join",
		},
		authCase{
			name:  "member/join/knock_restricted before v10 is unknown and refuses an authorised join",
			only:  func(v version.Spec) bool { return !v.KnockRestricted },
			setup: func(r *room) { r.setJoinRule("knock_restricted"); r.setMembership(carol, "join") },
			event: func(r *room) *event.Event {
				return r.member(bob, bob, "join", fmt.Sprintf(`"join_authorised_via_users_server":%q`, carol))
			},
			want: "{member}.{join}.{joinOtherwise} member/join",
		},
	)
	runMatrix(t, cases)
}

func TestAllowedMemberInvite(t *testing.T) {
	runMatrix(t, []authCase{
		{
			name:  "member/invite/by a joined user at the invite level is allowed",
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", "") },
		},
		{
			name:  "member/invite/sender not joined is rejected",
			setup: func(r *room) { r.setMembership(carol, "invite") },
			event: func(r *room) *event.Event { return r.member(carol, bob, "invite", "") },
			want:  "{member}.{invite}.2 member/invite",
		},
		{
			name:  "member/invite/target already joined is rejected",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", "") },
			want:  "{member}.{invite}.3 member/invite",
		},
		{
			name:  "member/invite/target banned is rejected",
			setup: func(r *room) { r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", "") },
			want:  "{member}.{invite}.3 member/invite",
		},
		{
			name:  "member/invite/re-inviting an invited user is allowed",
			setup: func(r *room) { r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", "") },
		},
		{
			name: "member/invite/sender below the invite level is rejected",
			setup: func(r *room) {
				r.setMembership(carol, "join")
				r.setPowerLevels(fmt.Sprintf(`{"invite":1,"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.member(carol, bob, "invite", "") },
			want:  "{member}.{invite}.5 member/invite",
		},
		{
			name: "member/invite/without power levels anyone joined may invite",
			setup: func(r *room) {
				delete(r.state, keyPowerLevels)
				r.setMembership(carol, "join")
			},
			event: func(r *room) *event.Event { return r.member(carol, bob, "invite", "") },
		},
	})
}

func TestAllowedMemberLeaveBan(t *testing.T) {
	mods := func(r *room) {
		r.setMembership(bob, "join")
		r.setMembership(carol, "join")
		r.setPowerLevels(fmt.Sprintf(`{"users":%s}`, r.users(bob, 50, carol, 50)))
	}
	runMatrix(t, []authCase{
		{
			name:  "member/leave/joined user leaving is allowed",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
		},
		{
			name:  "member/leave/invited user rejecting is allowed",
			setup: func(r *room) { r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
		},
		{
			name:  "member/leave/knocking user rescinding is allowed",
			only:  knock,
			setup: func(r *room) { r.setMembership(bob, "knock") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
		},
		{
			name:  "member/leave/knock membership before v7 cannot be left",
			only:  noKnock,
			setup: func(r *room) { r.setMembership(bob, "knock") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
			want:  "{member}.{leave}.1 member/leave",
		},
		{
			name:  "member/leave/user who already left is rejected",
			setup: func(r *room) { r.setMembership(bob, "leave") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
			want:  "{member}.{leave}.1 member/leave",
		},
		{
			name:  "member/leave/banned user cannot unban themselves",
			setup: func(r *room) { r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "leave", "") },
			want:  "{member}.{leave}.1 member/leave",
		},
		{
			name:  "member/leave/kick by a non-member is rejected",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(carol, bob, "leave", "") },
			want:  "{member}.{leave}.2 member/leave",
		},
		{
			name:  "member/leave/kick by a user above the target at the kick level is allowed",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "leave", "") },
		},
		{
			name:  "member/leave/kick of an equal is rejected",
			setup: mods,
			event: func(r *room) *event.Event { return r.member(bob, carol, "leave", "") },
			want:  "{member}.{leave}.5 member/leave",
		},
		{
			name: "member/leave/kick below the kick level is rejected",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setMembership(carol, "join")
				r.setPowerLevels(fmt.Sprintf(`{"users":%s}`, r.users(bob, 49)))
			},
			event: func(r *room) *event.Event { return r.member(bob, carol, "leave", "") },
			want:  "{member}.{leave}.5 member/leave",
		},
		{
			name: "member/leave/unban below the ban level is rejected",
			setup: func(r *room) {
				mods(r)
				r.setMembership(dave, "ban")
				r.setPowerLevels(fmt.Sprintf(`{"ban":60,"users":%s}`, r.users(bob, 50)))
			},
			event: func(r *room) *event.Event { return r.member(bob, dave, "leave", "") },
			want:  "{member}.{leave}.3 member/leave",
		},
		{
			name:  "member/leave/unban at the ban and kick levels is allowed",
			setup: func(r *room) { mods(r); r.setMembership(dave, "ban") },
			event: func(r *room) *event.Event { return r.member(bob, dave, "leave", "") },
		},
		{
			name: "member/leave/unban needs the kick level too",
			setup: func(r *room) {
				mods(r)
				r.setMembership(dave, "ban")
				r.setPowerLevels(fmt.Sprintf(`{"kick":60,"users":%s}`, r.users(bob, 50)))
			},
			event: func(r *room) *event.Event { return r.member(bob, dave, "leave", "") },
			want:  "{member}.{leave}.5 member/leave",
		},
		{
			name:  "member/ban/by a user above the target at the ban level is allowed",
			setup: mods,
			event: func(r *room) *event.Event { return r.member(bob, dave, "ban", "") },
		},
		{
			name:  "member/ban/by a non-member is rejected",
			event: func(r *room) *event.Event { return r.member(dave, bob, "ban", "") },
			want:  "{member}.{ban}.1 member/ban",
		},
		{
			name:  "member/ban/of an equal is rejected",
			setup: mods,
			event: func(r *room) *event.Event { return r.member(bob, carol, "ban", "") },
			want:  "{member}.{ban}.3 member/ban",
		},
		{
			name: "member/ban/below the ban level is rejected",
			setup: func(r *room) {
				mods(r)
				r.setPowerLevels(fmt.Sprintf(`{"ban":51,"users":%s}`, r.users(bob, 50)))
			},
			event: func(r *room) *event.Event { return r.member(bob, dave, "ban", "") },
			want:  "{member}.{ban}.3 member/ban",
		},
		{
			name:  "member/ban/of a user who never joined is allowed",
			event: func(r *room) *event.Event { return r.member(alice, dave, "ban", "") },
		},
	})
}

func TestAllowedMemberKnock(t *testing.T) {
	runMatrix(t, []authCase{
		{
			name:  "member/knock/on a knock room is allowed",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
		},
		{
			name:  "member/knock/after leaving is allowed",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "leave") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
		},
		{
			name:  "member/knock/on a public room is rejected",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("public") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{knock}.1 member/knock",
		},
		{
			name:  "member/knock/on a knock_restricted room is allowed from v10",
			only:  knockRestr,
			setup: func(r *room) { r.setJoinRule("knock_restricted") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
		},
		{
			name:  "member/knock/on a knock_restricted room before v10 is rejected",
			only:  func(v version.Spec) bool { return v.Knock && !v.KnockRestricted },
			setup: func(r *room) { r.setJoinRule("knock_restricted") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{knock}.1 member/knock",
		},
		{
			name:  "member/knock/for someone else is rejected",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "knock", "") },
			want:  "{member}.{knock}.2 member/knock",
		},
		{
			name:  "member/knock/banned user is rejected",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{knock}.4 member/knock",
		},
		{
			name:  "member/knock/invited user is rejected",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{knock}.4 member/knock",
		},
		{
			name:  "member/knock/joined user is rejected",
			only:  knock,
			setup: func(r *room) { r.setJoinRule("knock"); r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.member(bob, bob, "knock", "") },
			want:  "{member}.{knock}.4 member/knock",
		},
	})
}
