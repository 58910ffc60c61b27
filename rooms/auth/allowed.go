package auth

import (
	"strings"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Allowed runs the state-dependent authorisation rules of ev.Version
// against state, in the order the version's list gives them, and returns
// nil or an *Error naming the refusing rule.
//
// state must hold the room's m.room.create event in every version (in v12,
// where auth_events no longer cite it, the caller adds it from the room
// ID). The checks on the auth_events list itself are CheckAuthEvents; the
// signature-based rules (the sender's server, and v8+
// join_authorised_via_users_server) are CheckSigners.
func Allowed(ev *event.Event, state State) error {
	v := ev.Version
	c := &checker{v: v, n: numberingFor(v), ev: ev, state: state}
	return c.run()
}

type checker struct {
	v     version.Spec
	n     numbering
	ev    *event.Event
	state State

	create   *event.Event
	creators []string
	pl       *PowerLevelContent
}

func (c *checker) reject(rule int, path, reason string, sub ...int) error {
	return reject(c.v, num(append([]int{rule}, sub...)...), path, reason)
}

func (c *checker) run() error {
	ev, n := c.ev, c.n
	// Rule 1: m.room.create.
	if ev.Type == event.TypeCreate {
		return checkCreate(ev)
	}

	// Rule 2 of v1–v11 (auth_events) is CheckAuthEvents'; its 2.4 is
	// repeated here because every later rule reads the create event.
	c.create = c.state.Get(keyCreate)
	if c.create == nil {
		if n.roomID != 0 {
			return c.reject(n.roomID, "room_id", "no accepted m.room.create event for the room")
		}
		return c.reject(n.authEvents, "auth_events", "no m.room.create event", 4)
	}
	// v12 rule 2: the room ID is the create event's ID with sigil "!".
	if n.roomID != 0 && !roomIDMatchesCreate(ev.RoomID, c.create.ID) {
		return c.reject(n.roomID, "room_id", "room_id "+ev.RoomID+" is not derived from the create event "+c.create.ID)
	}
	c.creators = creators(c.v, c.create)

	// Rule 3 (v12: 4): a room created with m.federate false stays on the
	// creator's server.
	if !createFederates(c.create) && !sameDomainID(ev.Sender, c.create.Sender) {
		return c.reject(n.federate, "m.federate", "room does not federate and sender is on another server")
	}

	// Rule 4 of v1–v5: m.room.aliases (removed by v6.md).
	if n.aliases != 0 && ev.Type == event.TypeAliases {
		return c.checkAliases()
	}
	// Rule 5 (v6–v11: 4): m.room.member.
	if ev.Type == event.TypeMember {
		return c.checkMember()
	}

	// Everything else needs a joined sender.
	if currentMembership(c.state, ev.Sender) != event.MembershipJoin {
		return c.reject(n.joined, "sender", "sender is not joined to the room")
	}
	pl := c.powerLevels()
	sender := c.power(ev.Sender)

	// m.room.third_party_invite needs only the invite level.
	if ev.Type == event.TypeThirdPartyInvite {
		if !sender.atLeast(pl.Invite) {
			return c.reject(n.thirdParty, "third_party_invite", "sender's power level is below the invite level", 1)
		}
		return nil
	}

	// The event type's required power level (server-server-api
	// "Definitions"), then state keys that name another user.
	if !sender.atLeast(pl.EventLevel(ev.Type, ev.IsState())) {
		return c.reject(n.required, "required power level", "sender's power level is below the level required for "+ev.Type)
	}
	if ev.StateKey != nil && strings.HasPrefix(*ev.StateKey, "@") && *ev.StateKey != ev.Sender {
		return c.reject(n.stateKeyAt, "state_key", "state_key starts with @ and is not the sender")
	}
	if ev.Type == event.TypePowerLevels {
		return c.checkPowerLevels(sender)
	}
	if n.redaction != 0 && ev.Type == event.TypeRedaction {
		return c.checkRedactionV1(sender)
	}
	return nil
}

// powerLevels parses the state's power levels once per check.
func (c *checker) powerLevels() *PowerLevelContent {
	if c.pl == nil {
		c.pl = loadPowerLevels(c.v, c.state.Get(keyPowerLevels), c.create)
	}
	return c.pl
}

func (c *checker) power(userID string) power {
	return userPower(c.v, c.creators, c.powerLevels(), userID)
}

// checkAliases is rule 4 of v1–v5: m.room.aliases is allowed when its
// state_key is the sender's server, whether or not the sender is joined.
func (c *checker) checkAliases() error {
	ev, n := c.ev, c.n
	if ev.StateKey == nil {
		return c.reject(n.aliases, "aliases", "event has no state_key", 1)
	}
	if d, ok := domainOf(ev.Sender); !ok || d != *ev.StateKey {
		return c.reject(n.aliases, "aliases", "sender's domain does not match state_key", 2)
	}
	return nil
}

// checkRedactionV1 is rule 11 of v1-auth-rules (room versions 1 and 2).
func (c *checker) checkRedactionV1(sender power) error {
	if sender.atLeast(c.powerLevels().Redact) {
		return nil
	}
	redacted, ok1 := domainOf(c.ev.Redacts)
	own, ok2 := domainOf(c.ev.ID)
	if ok1 && ok2 && redacted == own {
		return nil
	}
	return c.reject(c.n.redaction, "redaction", "sender is below the redact level and the redacted event is from another server", 3)
}

// roomIDMatchesCreate reports whether roomID is createID with sigil "!"
// instead of "$" (v12.md rule 2).
func roomIDMatchesCreate(roomID, createID string) bool {
	return len(roomID) > 1 && len(createID) > 1 && roomID[0] == '!' && createID[0] == '$' && roomID[1:] == createID[1:]
}
