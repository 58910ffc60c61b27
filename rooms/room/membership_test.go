package room

import (
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// TestMembershipTransitions runs every membership change a client can ask
// for, allowed and refused, in v11 and v12 rooms where alice is the admin
// and bob an ordinary joined member.
func TestMembershipTransitions(t *testing.T) {
	tests := []struct {
		name     string
		preset   string
		joinRule string // replaces the preset's join rule when set
		setup    []Proposal
		p        Proposal
		sentinel error
		rule     string
		change   *MembershipChange
	}{
		{name: "join a public room", preset: PresetPublicChat,
			p: Join(carol, MemberOptions{}), change: &MembershipChange{carol, "leave", "join"}},
		{name: "join an invite-only room uninvited", preset: PresetPrivateChat,
			p: Join(carol, MemberOptions{}), sentinel: ErrForbidden, rule: "member/join"},
		{name: "invite", preset: PresetPrivateChat,
			p: Invite(alice, carol, MemberOptions{}), change: &MembershipChange{carol, "leave", "invite"}},
		{name: "join after invite", preset: PresetPrivateChat, setup: []Proposal{Invite(alice, carol, MemberOptions{})},
			p: Join(carol, MemberOptions{}), change: &MembershipChange{carol, "invite", "join"}},
		{name: "reject an invite", preset: PresetPrivateChat, setup: []Proposal{Invite(alice, carol, MemberOptions{})},
			p: Leave(carol, ""), change: &MembershipChange{carol, "invite", "leave"}},
		{name: "leave", preset: PresetPublicChat,
			p: Leave(bob, "bye"), change: &MembershipChange{bob, "join", "leave"}},
		{name: "leave a room one is not in", preset: PresetPublicChat,
			p: Leave(carol, ""), sentinel: ErrForbidden, rule: "member/leave"},
		{name: "invite someone already joined", preset: PresetPublicChat,
			p: Invite(alice, bob, MemberOptions{}), sentinel: ErrForbidden, rule: "member/invite"},
		{name: "invite by a non-member", preset: PresetPublicChat,
			p: Invite(carol, bob, MemberOptions{}), sentinel: ErrForbidden, rule: "member/invite"},
		{name: "invite below the invite level", preset: PresetPublicChat,
			p: Invite(bob, carol, MemberOptions{}), sentinel: ErrForbidden, rule: "member/invite"},
		{name: "invite a banned user", preset: PresetPublicChat, setup: []Proposal{Ban(alice, carol, "")},
			p: Invite(alice, carol, MemberOptions{}), sentinel: ErrForbidden, rule: "member/invite"},
		{name: "kick", preset: PresetPublicChat,
			p: Kick(alice, bob, "spam"), change: &MembershipChange{bob, "join", "leave"}},
		{name: "kick an invitee", preset: PresetPrivateChat, setup: []Proposal{Invite(alice, carol, MemberOptions{})},
			p: Kick(alice, carol, ""), change: &MembershipChange{carol, "invite", "leave"}},
		{name: "kick by a non-moderator", preset: PresetPublicChat,
			p: Kick(bob, alice, ""), sentinel: ErrForbidden, rule: "member/leave"},
		{name: "kick someone not in the room", preset: PresetPublicChat,
			p: Kick(alice, carol, ""), sentinel: ErrForbidden},
		{name: "ban a member", preset: PresetPublicChat,
			p: Ban(alice, bob, "spam"), change: &MembershipChange{bob, "join", "ban"}},
		{name: "ban a stranger", preset: PresetPublicChat,
			p: Ban(alice, carol, ""), change: &MembershipChange{carol, "leave", "ban"}},
		{name: "ban by a non-moderator", preset: PresetPublicChat,
			p: Ban(bob, alice, ""), sentinel: ErrForbidden, rule: "member/ban"},
		{name: "banned user joins", preset: PresetPublicChat, setup: []Proposal{Ban(alice, carol, "")},
			p: Join(carol, MemberOptions{}), sentinel: ErrForbidden, rule: "member/join"},
		{name: "unban", preset: PresetPublicChat, setup: []Proposal{Ban(alice, carol, "")},
			p: Unban(alice, carol, ""), change: &MembershipChange{carol, "ban", "leave"}},
		{name: "unban by a non-moderator", preset: PresetPublicChat, setup: []Proposal{Ban(alice, carol, "")},
			p: Unban(bob, carol, ""), sentinel: ErrForbidden, rule: "member/leave"},
		{name: "unban someone not banned", preset: PresetPublicChat,
			p: Unban(alice, carol, ""), sentinel: ErrForbidden},
		{name: "knock", preset: PresetPrivateChat, joinRule: "knock",
			p: Knock(carol, MemberOptions{Reason: "let me in"}), change: &MembershipChange{carol, "leave", "knock"}},
		{name: "knock on a public room", preset: PresetPublicChat,
			p: Knock(carol, MemberOptions{}), sentinel: ErrForbidden, rule: "member/knock"},
		{name: "knock while joined", preset: PresetPrivateChat, joinRule: "knock",
			p: Knock(bob, MemberOptions{}), sentinel: ErrForbidden, rule: "member/knock"},
		{name: "withdraw a knock", preset: PresetPrivateChat, joinRule: "knock", setup: []Proposal{Knock(carol, MemberOptions{})},
			p: Leave(carol, ""), change: &MembershipChange{carol, "knock", "leave"}},
		{name: "accept a knock", preset: PresetPrivateChat, joinRule: "knock", setup: []Proposal{Knock(carol, MemberOptions{})},
			p: Invite(alice, carol, MemberOptions{}), change: &MembershipChange{carol, "knock", "invite"}},
		{name: "profile change keeps membership", preset: PresetPublicChat,
			p: Join(bob, MemberOptions{DisplayName: "Bobby"})},
		{name: "join another user", preset: PresetPublicChat,
			p: state(alice, event.TypeMember, carol, `{"membership":"join"}`), sentinel: ErrForbidden, rule: "member/join"},
	}
	for _, v := range []version.ID{"11", "12"} {
		for _, tc := range tests {
			t.Run(string(v)+"/"+tc.name, func(t *testing.T) {
				k := newKit(t, v, tc.preset, bob)
				if tc.joinRule != "" {
					k.propose(state(alice, event.TypeJoinRules, "", `{"join_rule":"`+tc.joinRule+`"}`))
				}
				for _, p := range tc.setup {
					k.propose(p)
				}
				target := *tc.p.StateKey
				before := k.room.Membership(target)
				fx, err := k.try(tc.p)
				wantErr(t, err, tc.sentinel, tc.rule)
				if err != nil {
					if got := k.room.Membership(target); got != before {
						t.Errorf("refused event changed %s's membership %s → %s", target, before, got)
					}
					return
				}
				var want []MembershipChange
				if tc.change != nil {
					want = []MembershipChange{*tc.change}
				}
				if !slices.Equal(fx.Memberships, want) {
					t.Errorf("memberships %v, want %v", fx.Memberships, want)
				}
				if len(fx.StateDelta) != 1 || fx.StateDelta[0].Key != (event.StateKey{Type: event.TypeMember, StateKey: target}) {
					t.Errorf("delta %v", fx.StateDelta)
				}
				wantNow := MembershipOf(fx.Event)
				if got := k.room.Membership(target); got != wantNow {
					t.Errorf("room says %s is %s, event says %s", target, got, wantNow)
				}
				views := map[string][]string{"join": k.room.Joined(), "invite": k.room.Invited(), "knock": k.room.Knocking(), "ban": k.room.Banned()}
				for m, users := range views {
					if slices.Contains(users, target) != (m == wantNow) {
						t.Errorf("%s view %v disagrees with membership %s", m, users, wantNow)
					}
				}
			})
		}
	}
}

// TestMemberContent checks the content the helpers write.
func TestMemberContent(t *testing.T) {
	tests := []struct {
		p    Proposal
		want string
	}{
		{Join(bob, MemberOptions{DisplayName: "Bob", AvatarURL: "mxc://example.org/a"}), `{"avatar_url":"mxc://example.org/a","displayname":"Bob","membership":"join"}`},
		{Leave(bob, ""), `{"membership":"leave"}`},
		{Invite(alice, bob, MemberOptions{IsDirect: true, Reason: "chat"}), `{"is_direct":true,"membership":"invite","reason":"chat"}`},
		{Kick(alice, bob, "spam"), `{"membership":"leave","reason":"spam"}`},
		{Ban(alice, bob, "spam"), `{"membership":"ban","reason":"spam"}`},
		{Unban(alice, bob, ""), `{"membership":"leave"}`},
		{Knock(bob, MemberOptions{Reason: "hi"}), `{"membership":"knock","reason":"hi"}`},
	}
	for _, tc := range tests {
		if string(tc.p.Content) != tc.want || tc.p.Type != event.TypeMember || *tc.p.StateKey != bob {
			t.Errorf("%s: %s, want %s", tc.p.Type, tc.p.Content, tc.want)
		}
	}
}

// TestServersAndDestinations follows the servers in the room as a remote
// user is invited, joins and is kicked: each event goes to every server in
// the room before or after it, and the invitee's server hears of its invite.
func TestServersAndDestinations(t *testing.T) {
	for _, v := range []version.ID{"11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			if got := k.room.Servers(); !slices.Equal(got, []string{here}) {
				t.Fatalf("servers %v", got)
			}
			fx := k.propose(Invite(alice, dave, MemberOptions{}))
			if !slices.Equal(fx.Destinations, []string{there}) {
				t.Errorf("invite destinations %v, want the invitee's server", fx.Destinations)
			}
			// dave joins through his own server and the join reaches us.
			remote := k.remote(there)
			join, err := remote.Propose(Join(dave, MemberOptions{}), k.now+1)
			if err != nil {
				t.Fatal(err)
			}
			sfx, err := k.room.Step(k.inbound(join.Event, k.room.stateSnapshot()))
			if err != nil || sfx.Outcome != Accepted {
				t.Fatalf("Step: %v %v %v", err, sfx.Outcome, sfx.Reason)
			}
			k.events.Add(join.Event)
			if sfx.Destinations != nil {
				t.Errorf("a received event is not federated again: %v", sfx.Destinations)
			}
			if got := k.room.Servers(); !slices.Equal(got, []string{here, there}) {
				t.Errorf("servers %v", got)
			}
			msg := k.propose(message(alice, "hi dave"))
			if !slices.Equal(msg.Destinations, []string{there}) {
				t.Errorf("message destinations %v", msg.Destinations)
			}
			kick := k.propose(Kick(alice, dave, ""))
			if !slices.Equal(kick.Destinations, []string{there}) {
				t.Errorf("kick destinations %v: the kicked user's server must hear of it", kick.Destinations)
			}
			if got := k.room.Servers(); !slices.Equal(got, []string{here}) {
				t.Errorf("servers after kick %v", got)
			}
			if msg := k.propose(message(alice, "alone")); len(msg.Destinations) != 0 {
				t.Errorf("destinations after kick %v", msg.Destinations)
			}
		})
	}
}

// TestRestrictedJoin: a join to a restricted room needs a local user who
// can invite in join_authorised_via_users_server.
func TestRestrictedJoin(t *testing.T) {
	for _, v := range []version.ID{"8", "11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			k.propose(state(alice, event.TypeJoinRules, "",
				`{"join_rule":"restricted","allow":[{"type":"m.room_membership","room_id":"!space:example.org"}]}`))
			_, err := k.try(Join(carol, MemberOptions{}))
			wantErr(t, err, ErrForbidden, "member/join")
			via, ok := k.room.AuthorisingUser()
			if !ok || via != alice {
				t.Fatalf("authorising user %q %v, want alice (bob cannot invite in a public_chat room)", via, ok)
			}
			fx := k.propose(Join(carol, MemberOptions{AuthorisedVia: via}))
			if contentOf(t, fx.Event)["join_authorised_via_users_server"] != alice {
				t.Errorf("content %s", fx.Event.Content)
			}
			_, err = k.try(Join("@frank:example.org", MemberOptions{AuthorisedVia: bob}))
			wantErr(t, err, ErrForbidden, "member/join")
		})
	}
}
