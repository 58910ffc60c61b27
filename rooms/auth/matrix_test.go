package auth

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// authCase is one row of the matrix run against every room version it
// applies to. want is "" for allowed, else a rule template (see
// expandRule).
type authCase struct {
	name  string
	only  func(v version.Spec) bool
	setup func(r *room)
	event func(r *room) *event.Event
	want  string
}

func runMatrix(t *testing.T, cases []authCase) {
	t.Helper()
	for _, v := range version.All() {
		for _, c := range cases {
			if c.only != nil && !c.only(v) {
				continue
			}
			t.Run(fmt.Sprintf("v%s/%s", v.ID, c.name), func(t *testing.T) {
				r := newRoom(t, v.ID)
				if c.setup != nil {
					c.setup(r)
				}
				ev := c.event(r)
				want := ""
				if c.want != "" {
					want = expandRule(t, v, c.want)
				}
				wantResult(t, Allowed(ev, r.state), want)
			})
		}
	}
}

// Version predicates.
func knock(v version.Spec) bool       { return v.Knock }
func noKnock(v version.Spec) bool     { return !v.Knock }
func restricted(v version.Spec) bool  { return v.Restricted }
func noRestrict(v version.Spec) bool  { return !v.Restricted }
func knockRestr(v version.Spec) bool  { return v.KnockRestricted }
func aliasRule(v version.Spec) bool   { return v.SpecialCaseAliases }
func noAliasRule(v version.Spec) bool { return !v.SpecialCaseAliases }
func v12(v version.Spec) bool         { return v.PrivilegedCreators }
func preV12(v version.Spec) bool      { return !v.PrivilegedCreators }

func TestAllowedGeneral(t *testing.T) {
	runMatrix(t, []authCase{
		{
			name:  "create in state/missing create is rejected",
			setup: func(r *room) { delete(r.state, keyCreate) },
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, alice, `{}`) },
			want:  "{authEvents}.4 auth_events",
			only:  preV12,
		},
		{
			name:  "room_id/missing create is rejected",
			setup: func(r *room) { delete(r.state, keyCreate) },
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, alice, `{}`) },
			want:  "{roomID} room_id",
			only:  v12,
		},
		{
			name: "room_id/room ID not derived from the create event is rejected",
			event: func(r *room) *event.Event {
				e := r.ev("m.room.message", nil, alice, `{}`)
				e.RoomID = "!other"
				return e
			},
			want: "{roomID} room_id",
			only: v12,
		},
		{
			name: "m.federate/false refuses a sender from another server",
			setup: func(r *room) {
				r.create.Content = []byte(`{"creator":"@alice:example.org","m.federate":false}`)
				r.setJoinRule("public")
			},
			event: func(r *room) *event.Event { return r.member(dave, dave, "join", "") },
			want:  "{federate} m.federate",
		},
		{
			name:  "m.federate/false allows the create event's server",
			setup: func(r *room) { r.create.Content = []byte(`{"creator":"@alice:example.org","m.federate":false}`) },
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, alice, `{}`) },
		},
		{
			name: "m.federate/true allows other servers",
			setup: func(r *room) {
				r.create.Content = []byte(`{"creator":"@alice:example.org","m.federate":true}`)
				r.setJoinRule("public")
			},
			event: func(r *room) *event.Event { return r.member(dave, dave, "join", "") },
		},
		{
			name:  "sender joined/message from a non-member is rejected",
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) },
			want:  "{joined} sender",
		},
		{
			name:  "sender joined/message from an invited user is rejected",
			setup: func(r *room) { r.setMembership(bob, "invite") },
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) },
			want:  "{joined} sender",
		},
		{
			name:  "sender joined/message from a joined user is allowed",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) },
		},
		{
			name:  "third_party_invite/sender at the invite level is allowed",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.ev(event.TypeThirdPartyInvite, sk("tok"), bob, `{}`) },
		},
		{
			name: "third_party_invite/sender below the invite level is rejected",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"invite":10,"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.ev(event.TypeThirdPartyInvite, sk("tok"), bob, `{}`) },
			want:  "{tpi}.1 third_party_invite",
		},
		{
			name:  "required power level/state event below state_default is rejected",
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.ev(event.TypeName, sk(""), bob, `{"name":"x"}`) },
			want:  "{required} required power level",
		},
		{
			name: "required power level/events entry lowers a state event's level",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"events":{"m.room.name":0},"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.ev(event.TypeName, sk(""), bob, `{"name":"x"}`) },
		},
		{
			name: "required power level/events entry raises a message's level",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"events":{"m.room.message":1},"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) },
			want:  "{required} required power level",
		},
		{
			name: "required power level/events_default applies to messages",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"events_default":5,"users":%s}`, r.users("@bob:example.org", 4)))
			},
			event: func(r *room) *event.Event { return r.ev("m.room.message", nil, bob, `{}`) },
			want:  "{required} required power level",
		},
		{
			name: "required power level/users_default applies to unlisted users",
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"users_default":50,"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return r.ev(event.TypeTopic, sk(""), bob, `{}`) },
		},
		{
			name: "required power level/without power levels the creator may send state",
			setup: func(r *room) {
				delete(r.state, keyPowerLevels)
			},
			event: func(r *room) *event.Event { return r.ev(event.TypeTopic, sk(""), alice, `{}`) },
		},
		{
			name: "required power level/without power levels others may not send state",
			setup: func(r *room) {
				delete(r.state, keyPowerLevels)
				r.setMembership(bob, "join")
			},
			event: func(r *room) *event.Event { return r.ev(event.TypeTopic, sk(""), bob, `{}`) },
			want:  "{required} required power level",
		},
		{
			name:  "state_key/starting with @ and not the sender is rejected",
			event: func(r *room) *event.Event { return r.ev("org.example.state", sk(bob), alice, `{}`) },
			want:  "{stateKey} state_key",
		},
		{
			name:  "state_key/starting with @ and equal to the sender is allowed",
			event: func(r *room) *event.Event { return r.ev("org.example.state", sk(alice), alice, `{}`) },
		},
		{
			name:  "otherwise/a custom state event at the sender's level is allowed",
			event: func(r *room) *event.Event { return r.ev("org.example.state", sk("x"), alice, `{}`) },
		},
	})
}

func TestAllowedAliases(t *testing.T) {
	runMatrix(t, []authCase{
		{
			name: "aliases/from a non-member whose server is the state_key is allowed",
			only: aliasRule,
			event: func(r *room) *event.Event {
				return r.ev(event.TypeAliases, sk("other.example"), dave, `{"aliases":[]}`)
			},
		},
		{
			name:  "aliases/state_key not the sender's server is rejected",
			only:  aliasRule,
			event: func(r *room) *event.Event { return r.ev(event.TypeAliases, sk("example.org"), dave, `{"aliases":[]}`) },
			want:  "{aliases}.2 aliases",
		},
		{
			name:  "aliases/without a state_key is rejected",
			only:  aliasRule,
			event: func(r *room) *event.Event { return r.ev(event.TypeAliases, nil, dave, `{"aliases":[]}`) },
			want:  "{aliases}.1 aliases",
		},
		{
			name: "aliases/no special case: a non-member is rejected",
			only: noAliasRule,
			event: func(r *room) *event.Event {
				return r.ev(event.TypeAliases, sk("other.example"), dave, `{"aliases":[]}`)
			},
			want: "{joined} sender",
		},
		{
			name:  "aliases/no special case: needs state_default",
			only:  noAliasRule,
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return r.ev(event.TypeAliases, sk("example.org"), bob, `{"aliases":[]}`) },
			want:  "{required} required power level",
		},
	})
}

func TestAllowedRedaction(t *testing.T) {
	v1redaction := func(v version.Spec) bool { return v.Auth == version.AuthV1 }
	laterRedaction := func(v version.Spec) bool { return v.Auth != version.AuthV1 }
	redaction := func(r *room, sender, redacts string) *event.Event {
		e := r.ev(event.TypeRedaction, nil, sender, `{}`)
		e.Redacts = redacts
		return e
	}
	runMatrix(t, []authCase{
		{
			name:  "redaction/v1: at the redact level is allowed",
			only:  v1redaction,
			event: func(r *room) *event.Event { return redaction(r, alice, "$x:other.example") },
		},
		{
			name:  "redaction/v1: below the redact level, same event ID domain is allowed",
			only:  v1redaction,
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return redaction(r, bob, "$x:example.org") },
		},
		{
			name:  "redaction/v1: below the redact level, other event ID domain is rejected",
			only:  v1redaction,
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return redaction(r, bob, "$x:other.example") },
			want:  "{redaction}.3 redaction",
		},
		{
			name:  "redaction/v3+: the redact level is not an auth rule",
			only:  laterRedaction,
			setup: func(r *room) { r.setMembership(bob, "join") },
			event: func(r *room) *event.Event { return redaction(r, bob, "$x") },
		},
		{
			name: "redaction/v3+: events entry for m.room.redaction applies",
			only: laterRedaction,
			setup: func(r *room) {
				r.setMembership(bob, "join")
				r.setPowerLevels(fmt.Sprintf(`{"events":{"m.room.redaction":10},"users":%s}`, r.users()))
			},
			event: func(r *room) *event.Event { return redaction(r, bob, "$x") },
			want:  "{required} required power level",
		},
	})
}
