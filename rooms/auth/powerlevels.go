package auth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Defaults of m.room.power_levels (event schema m.room.power_levels and
// server-server-api "Definitions"): they apply to absent keys and to rooms
// without a power-levels event.
const (
	DefaultBan              = 50
	DefaultKick             = 50
	DefaultRedact           = 50
	DefaultInvite           = 0
	DefaultEventsDefault    = 0
	DefaultStateDefault     = 50
	DefaultUsersDefault     = 0
	DefaultNotificationRoom = 50
	// CreatorLevelWithoutPowerLevels is the room creator's level in room
	// versions 1–11 while the room has no power-levels event.
	CreatorLevelWithoutPowerLevels = 100
)

// ErrBadPowerLevels is returned for m.room.power_levels content the room
// version refuses.
var ErrBadPowerLevels = errors.New("auth: invalid m.room.power_levels content")

// PowerLevelContent is m.room.power_levels content with every default
// filled in. Notifications always has a "room" entry.
type PowerLevelContent struct {
	Ban, Kick, Redact, Invite   int64
	EventsDefault, StateDefault int64
	UsersDefault                int64
	Events                      map[string]int64
	Users                       map[string]int64
	Notifications               map[string]int64
}

// EventLevel is the required power level for sending an event of type typ:
// the events entry, else state_default or events_default.
func (p *PowerLevelContent) EventLevel(typ string, isState bool) int64 {
	if l, ok := p.Events[typ]; ok {
		return l
	}
	if isState {
		return p.StateDefault
	}
	return p.EventsDefault
}

// UserLevel is a user's level from users, else users_default. It knows
// nothing of v12 creators; use UserPowerLevel for that.
func (p *PowerLevelContent) UserLevel(userID string) int64 {
	if l, ok := p.Users[userID]; ok {
		return l
	}
	return p.UsersDefault
}

// NotificationLevel is the level needed to trigger notification key (e.g.
// "room" for @room).
func (p *PowerLevelContent) NotificationLevel(key string) int64 {
	if l, ok := p.Notifications[key]; ok {
		return l
	}
	if key == "room" {
		return DefaultNotificationRoom
	}
	return 0
}

// namedLevels are the top-level integer properties the auth rules compare.
var namedLevels = [...]string{"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"}

// plFields is power-levels content as written: only the keys present.
type plFields struct {
	named         map[string]int64
	events        map[string]int64
	notifications map[string]int64
	users         map[string]int64
}

// plFieldError says which part of the content was malformed, so the rule
// that refuses it can be named.
type plFieldError struct {
	field string // "named", "events", "notifications" or "users"
	err   error
}

func (e *plFieldError) Error() string { return e.err.Error() }
func (e *plFieldError) Unwrap() error { return e.err }

func fieldErr(field, format string, args ...any) *plFieldError {
	return &plFieldError{field: field, err: fmt.Errorf("%w: %s", ErrBadPowerLevels, fmt.Sprintf(format, args...))}
}

// parsePowerLevels reads power-levels content under version v's rules.
// Every value the rules may compare must parse; notifications are only
// auth-relevant from v6, so before that malformed entries are skipped. Of
// repeated keys (possible before v6) the last wins, as in the JSON
// decoders of other servers.
func parsePowerLevels(v version.Spec, content json.RawMessage) (*plFields, error) {
	top, err := canonical.Members(content)
	if err != nil {
		return nil, fieldErr("named", "content is not an object: %v", err)
	}
	f := &plFields{named: make(map[string]int64, len(namedLevels))}
	var events, notifications, users []byte
	for _, m := range top {
		switch m.Key {
		case "events":
			events = m.Value
		case "notifications":
			notifications = m.Value
		case "users":
			users = m.Value
		case "users_default", "events_default", "state_default", "ban", "redact", "kick", "invite":
			n, err := parseLevel(v, m.Value)
			if err != nil {
				return nil, fieldErr("named", "%s: %v", m.Key, err)
			}
			f.named[m.Key] = n
		}
	}
	if f.events, err = parseLevelMap(v, events, "events", false); err != nil {
		return nil, err
	}
	lenientNotifications := v.Auth < version.AuthV6
	if f.notifications, err = parseLevelMap(v, notifications, "notifications", lenientNotifications); err != nil {
		return nil, err
	}
	if f.users, err = parseLevelMap(v, users, "users", false); err != nil {
		return nil, err
	}
	for u := range f.users {
		if !validUserID(u) {
			return nil, fieldErr("users", "users key %q is not a valid user ID", u)
		}
	}
	return f, nil
}

// parseLevelMap reads an object of levels (nil raw: absent). lenient skips
// bad entries instead of failing.
func parseLevelMap(v version.Spec, raw []byte, field string, lenient bool) (map[string]int64, error) {
	if raw == nil {
		return nil, nil
	}
	members, err := canonical.Members(raw)
	if err != nil {
		if lenient {
			return nil, nil
		}
		return nil, fieldErr(field, "%s is not an object", field)
	}
	out := make(map[string]int64, len(members))
	for _, m := range members {
		n, err := parseLevel(v, m.Value)
		if err != nil {
			if lenient {
				continue
			}
			return nil, fieldErr(field, "%s[%q]: %v", field, m.Key, err)
		}
		out[m.Key] = n
	}
	return out, nil
}

// withDefaults turns the written fields into a PowerLevelContent.
func (f *plFields) withDefaults() *PowerLevelContent {
	get := func(name string, def int64) int64 {
		if n, ok := f.named[name]; ok {
			return n
		}
		return def
	}
	p := &PowerLevelContent{
		Ban:           get("ban", DefaultBan),
		Kick:          get("kick", DefaultKick),
		Redact:        get("redact", DefaultRedact),
		Invite:        get("invite", DefaultInvite),
		EventsDefault: get("events_default", DefaultEventsDefault),
		StateDefault:  get("state_default", DefaultStateDefault),
		UsersDefault:  get("users_default", DefaultUsersDefault),
		Events:        f.events,
		Users:         f.users,
		Notifications: map[string]int64{"room": DefaultNotificationRoom},
	}
	for k, n := range f.notifications {
		p.Notifications[k] = n
	}
	if p.Events == nil {
		p.Events = map[string]int64{}
	}
	if p.Users == nil {
		p.Users = map[string]int64{}
	}
	return p
}

// defaultPowerLevels is the model of a room with no power-levels event: in
// v1–v11 the creator has level 100 and everyone else 0 (event schema
// m.room.power_levels, users_default); v12 creators are handled by
// UserPowerLevel.
func defaultPowerLevels(v version.Spec, create *event.Event) *PowerLevelContent {
	p := (&plFields{}).withDefaults()
	if !v.PrivilegedCreators {
		for _, c := range creators(v, create) {
			p.Users[c] = CreatorLevelWithoutPowerLevels
		}
	}
	return p
}

// PowerLevels returns the room's power levels with defaults filled in. A
// room without a power-levels event gets the spec's defaults; malformed
// content (which the rules would have refused) is an error wrapping
// ErrBadPowerLevels. The maps of the result belong to the caller.
func PowerLevels(v version.Spec, state State) (PowerLevelContent, error) {
	pl := state.Get(keyPowerLevels)
	if pl == nil {
		return *defaultPowerLevels(v, state.Get(keyCreate)), nil
	}
	_, p, err := parsedPowerLevels(v, pl)
	if err != nil {
		return PowerLevelContent{}, fmt.Errorf("power levels %s: %w", pl.ID, err)
	}
	return p.clone(), nil
}
