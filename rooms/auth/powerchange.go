package auth

import (
	"errors"

	"github.com/axonhs/axon/rooms/version"
)

// checkPowerLevels is the m.room.power_levels rule (v1 rule 10, v6–v11 rule
// 9, v12 rule 10): the content must be well formed for the version, and no
// one may set or change a level above their own, nor change the level of a
// user at or above their own.
func (c *checker) checkPowerLevels(sender power) error {
	ev, n, v := c.ev, c.n, c.v
	const path = "power_levels"
	at := func(sub int, reason string) error { return c.reject(n.power, path, reason, sub) }

	next, err := parsePowerLevels(v, ev.Content)
	if err != nil {
		return at(c.malformedRule(err), err.Error())
	}
	if n.plCreators != 0 {
		for _, id := range c.creators {
			if _, ok := next.users[id]; ok {
				return at(n.plCreators, "users lists room creator "+id)
			}
		}
	}
	prevEvent := c.state.Get(keyPowerLevels)
	if prevEvent == nil {
		return nil
	}
	prev, _, err := parsedPowerLevels(v, prevEvent)
	if err != nil {
		return at(n.plNamed, "current power levels are unreadable: "+err.Error())
	}

	// Named levels: any alteration needs both old and new within reach.
	for _, name := range namedLevels {
		o, hadOld := prev.named[name]
		nw, hasNew := next.named[name]
		if hadOld == hasNew && o == nw {
			continue
		}
		if hadOld && !sender.atLeast(o) {
			return at(n.plNamed, "current "+name+" is above the sender's level")
		}
		if hasNew && !sender.atLeast(nw) {
			return at(n.plNamed, "new "+name+" is above the sender's level")
		}
	}

	// events, and from v6 notifications (v6.md "changed-in v=6").
	maps := []struct {
		name      string
		old, next map[string]int64
	}{{"events", prev.events, next.events}}
	if v.Auth >= version.AuthV6 {
		maps = append(maps, struct {
			name      string
			old, next map[string]int64
		}{"notifications", prev.notifications, next.notifications})
	}
	for _, m := range maps {
		for k, o := range m.old {
			if nw, ok := m.next[k]; ok && nw == o {
				continue
			}
			if !sender.atLeast(o) {
				return at(n.plEventsOld, "current "+m.name+" level of "+k+" is above the sender's level")
			}
		}
	}
	for _, m := range maps {
		for k, nw := range m.next {
			if o, ok := m.old[k]; ok && nw == o {
				continue
			}
			if !sender.atLeast(nw) {
				return at(n.plEventsNew, "new "+m.name+" level of "+k+" is above the sender's level")
			}
		}
	}

	// users: others at or above the sender are untouchable; nobody may be
	// given more than the sender has.
	for u, o := range prev.users {
		if u == ev.Sender {
			continue
		}
		if nw, ok := next.users[u]; ok && nw == o {
			continue
		}
		if !sender.above(o) {
			return at(n.plUsersOld, "changes the level of "+u+", who is not below the sender")
		}
	}
	for u, nw := range next.users {
		if o, ok := prev.users[u]; ok && nw == o {
			continue
		}
		if !sender.atLeast(nw) {
			return at(n.plUsersNew, "gives "+u+" a level above the sender's")
		}
	}
	return nil
}

// malformedRule names the sub-rule that refuses malformed content. v10+
// have explicit type rules; before that, a value the comparisons cannot
// read fails the comparison that reads it.
func (c *checker) malformedRule(err error) int {
	n := c.n
	var fe *plFieldError
	field := "named"
	if errors.As(err, &fe) {
		field = fe.field
	}
	switch field {
	case "users":
		return n.plUsers
	case "events", "notifications":
		if n.plMapInts != 0 {
			return n.plMapInts
		}
		return n.plEventsNew
	default:
		if n.plNamedInts != 0 {
			return n.plNamedInts
		}
		return n.plNamed
	}
}
