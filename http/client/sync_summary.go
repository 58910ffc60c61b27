package client

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/axonhs/axon/http/client/push"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// Limits of the room summary and of unread counting.
const (
	maxHeroes     = 5
	maxUnreadScan = 100
)

// roomMembers is the membership of a room's current state.
type roomMembers struct {
	joined, invited int
	heroes          []string
	ownName         string
}

func (b *syncBuilder) members(v *roomView) (roomMembers, error) {
	var rm roomMembers
	g, err := v.group(v.info.StateGroup)
	if err != nil {
		return rm, err
	}
	gm, ok := b.a.caches.members.get(v.info.StateGroup)
	if !ok {
		gm = &groupMembers{}
		for k, nid := range g.state {
			if k.Type != event.TypeMember {
				continue
			}
			se, err := b.event(nid)
			if err != nil {
				return rm, err
			}
			switch storedMembership(se) {
			case event.MembershipJoin:
				gm.joined++
			case event.MembershipInvite:
				gm.invited++
			default:
				continue
			}
			gm.present = append(gm.present, k.StateKey)
		}
		slices.Sort(gm.present)
		b.a.caches.members.put(v.info.StateGroup, gm)
	}
	rm.joined, rm.invited = gm.joined, gm.invited
	for _, uid := range gm.present {
		if len(rm.heroes) == maxHeroes {
			break
		}
		if uid != b.req.userID {
			rm.heroes = append(rm.heroes, uid)
		}
	}
	if nid, ok := g.state[event.StateKey{Type: event.TypeMember, StateKey: b.req.userID}]; ok {
		se, err := b.event(nid)
		if err != nil {
			return rm, err
		}
		h, err := v.header(se)
		if err != nil {
			return rm, err
		}
		rm.ownName = contentString(h.Content, "displayname")
	}
	return rm, nil
}

// summary is the room summary (client-server-api "Calculating the display
// name for a room"): member counts, and heroes when the room has neither a
// name nor a canonical alias.
func (b *syncBuilder) summary(v *roomView) (*roomSummary, error) {
	rm, err := b.members(v)
	if err != nil {
		return nil, err
	}
	s := &roomSummary{Joined: &rm.joined, Invited: &rm.invited}
	g, err := v.group(v.info.StateGroup)
	if err != nil {
		return nil, err
	}
	_, named := g.state[event.StateKey{Type: "m.room.name"}]
	_, aliased := g.state[event.StateKey{Type: "m.room.canonical_alias"}]
	if !named && !aliased {
		s.Heroes = rm.heroes
	}
	return s, nil
}

// pushContext returns what the push rules need of the room's current
// state for the user, built once per state group and user (b.a.caches.push)
// and copied, so that the caller may set the sender's power level.
func (b *syncBuilder) pushContext(v *roomView) (*push.Context, error) {
	key := pushKey{group: v.info.StateGroup, userID: b.req.userID}
	ps, ok := b.a.caches.push.get(key)
	if !ok {
		var err error
		if ps, err = b.readPushState(v); err != nil {
			return nil, err
		}
		b.a.caches.push.put(key, ps)
	}
	b.levels = ps.levels
	pc := ps.ctx
	return &pc, nil
}

// readPushState reads the push context and power levels of the room's
// current state for the user.
func (b *syncBuilder) readPushState(v *roomView) (*pushState, error) {
	rm, err := b.members(v)
	if err != nil {
		return nil, err
	}
	ps := &pushState{ctx: push.Context{UserID: b.req.userID, DisplayName: rm.ownName, MemberCount: rm.joined}}
	g, err := v.group(v.info.StateGroup)
	if err != nil {
		return nil, err
	}
	if nid, ok := g.state[event.StateKey{Type: "m.room.power_levels"}]; ok {
		pl, err := b.event(nid)
		if err != nil {
			return nil, err
		}
		h, err := v.header(pl)
		if err != nil {
			return nil, err
		}
		ps.levels = parsePowerLevels(h.Content)
		ps.ctx.NotificationPowerLevels = ps.levels.Notifications
	}
	return ps, nil
}

func (b *syncBuilder) powerOf(_ *roomView, userID string) int {
	if lvl, ok := b.levels.Users[userID]; ok {
		return lvl
	}
	return b.levels.UsersDefault
}

// powerLevels is what unread counting reads of m.room.power_levels.
type powerLevels struct {
	Users         map[string]int
	UsersDefault  int
	Notifications map[string]int
}

// parsePowerLevels reads power levels leniently: old room versions allow
// numbers written as strings, and a malformed value counts as 0.
func parsePowerLevels(c json.RawMessage) powerLevels {
	var raw struct {
		Users         map[string]json.RawMessage `json:"users"`
		UsersDefault  json.RawMessage            `json:"users_default"`
		Notifications map[string]json.RawMessage `json:"notifications"`
	}
	_ = json.Unmarshal(c, &raw)
	pl := powerLevels{Users: map[string]int{}, Notifications: map[string]int{}, UsersDefault: lenientInt(raw.UsersDefault)}
	for k, v := range raw.Users {
		pl.Users[k] = lenientInt(v)
	}
	for k, v := range raw.Notifications {
		pl.Notifications[k] = lenientInt(v)
	}
	return pl
}

func lenientInt(v json.RawMessage) int {
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := n.Int64()
	if err != nil {
		return 0
	}
	return int(i)
}

// contentString reads a string field of event content, "" when absent.
func contentString(c json.RawMessage, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(c, &m) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(m[field], &s)
	return s
}

// event reads an event by NID once per sync: the state, the summary and
// the push context of a room read many of the same events.
func (b *syncBuilder) event(nid uint64) (persistence.StoredEvent, error) {
	if se, ok := b.events[nid]; ok {
		return se, nil
	}
	se, err := b.a.cfg.Store.EventByNID(nid)
	if err != nil {
		return se, err
	}
	if b.events == nil {
		b.events = map[uint64]persistence.StoredEvent{}
	}
	b.events[nid] = se
	return se, nil
}
