package auth

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func stringy(v version.Spec) bool   { return !v.IntegerPowerLevels }
func integerPL(v version.Spec) bool { return v.IntegerPowerLevels }
func floaty(v version.Spec) bool    { return v.FloatPowerLevels }
func notifAuth(v version.Spec) bool { return v.Auth >= version.AuthV6 }

func TestAllowedPowerLevels(t *testing.T) {
	// bob (50) and carol (50) are moderators, alice is the admin (100, or
	// creator in v12).
	mods := func(r *room) {
		r.setMembership(bob, "join")
		r.setMembership(carol, "join")
		r.setPowerLevels(fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":60},"users":%s}`,
			r.users(bob, 50, carol, 50)))
	}
	pl := func(sender string, content func(r *room) string) func(r *room) *event.Event {
		return func(r *room) *event.Event { return r.ev(event.TypePowerLevels, sk(""), sender, content(r)) }
	}
	keep := func(extra string) func(r *room) string {
		return func(r *room) string {
			return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":60}%s,"users":%s}`,
				extra, r.users(bob, 50, carol, 50))
		}
	}
	withUsers := func(pairs ...any) func(r *room) string {
		return func(r *room) string {
			return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":60},"users":%s}`,
				r.users(pairs...))
		}
	}
	lit := func(s string) func(r *room) string { return func(*room) string { return s } }
	runMatrix(t, []authCase{
		{
			name:  "power_levels/unchanged content is allowed",
			setup: mods,
			event: pl(bob, keep("")),
		},
		{
			name:  "power_levels/users key that is not a user ID is rejected",
			setup: mods,
			event: pl(alice, lit(`{"users":{"bob":10}}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/users that is not an object is rejected",
			setup: mods,
			event: pl(alice, lit(`{"users":[1]}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/users value that is not a number is rejected",
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":"fifty"}}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/users value that is a boolean is rejected",
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":true}}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/stringy users value is allowed before v10",
			only:  stringy,
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":" +050 "}}`)),
		},
		{
			name:  "power_levels/stringy users value is rejected from v10",
			only:  integerPL,
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":"50"}}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/float users value is allowed in v1-v5",
			only:  floaty,
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":50.57}}`)),
		},
		{
			name:  "power_levels/float users value is rejected from v6",
			only:  func(v version.Spec) bool { return !v.FloatPowerLevels },
			setup: mods,
			event: pl(alice, lit(`{"users":{"@bob:example.org":50.5}}`)),
			want:  "{power}.{plUsers} power_levels",
		},
		{
			name:  "power_levels/stringy named level is rejected from v10",
			only:  integerPL,
			setup: mods,
			event: pl(alice, lit(`{"ban":"50"}`)),
			want:  "{power}.{plNamedInts} power_levels",
		},
		{
			name:  "power_levels/null named level is rejected from v10",
			only:  integerPL,
			setup: mods,
			event: pl(alice, lit(`{"kick":null}`)),
			want:  "{power}.{plNamedInts} power_levels",
		},
		{
			name:  "power_levels/stringy events level is rejected from v10",
			only:  integerPL,
			setup: mods,
			event: pl(alice, lit(`{"events":{"m.room.name":"50"}}`)),
			want:  "{power}.{plMapInts} power_levels",
		},
		{
			name:  "power_levels/notifications that is not an object is rejected from v10",
			only:  integerPL,
			setup: mods,
			event: pl(alice, lit(`{"notifications":5}`)),
			want:  "{power}.{plMapInts} power_levels",
		},
		{
			name:  "power_levels/stringy named level is allowed before v10",
			only:  stringy,
			setup: mods,
			event: pl(alice, lit(`{"ban":"50","users":{"@bob:example.org":"50"}}`)),
		},
		{
			name:  "power_levels/first power levels event is allowed whatever it grants",
			setup: func(r *room) { delete(r.state, keyPowerLevels) },
			event: pl(alice, lit(`{"users":{"@bob:example.org":9000},"ban":9000,"events":{"x":9000}}`)),
		},
		{
			name:  "power_levels/raising a named level above one's own is rejected",
			setup: mods,
			event: pl(bob, keep(`,"ban":51`)),
			want:  "{power}.{plNamed} power_levels",
		},
		{
			name:  "power_levels/setting a named level up to one's own is allowed",
			setup: mods,
			event: pl(bob, keep(`,"ban":50`)),
		},
		{
			name: "power_levels/changing a named level that is above one's own is rejected",
			setup: func(r *room) {
				mods(r)
				r.setPowerLevels(fmt.Sprintf(`{"kick":70,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":60},"users":%s}`, r.users(bob, 50, carol, 50)))
			},
			event: pl(bob, keep(`,"kick":40`)),
			want:  "{power}.{plNamed} power_levels",
		},
		{
			name:  "power_levels/removing an events entry above one's own is rejected",
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50},"notifications":{"room":60},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
			want: "{power}.{plEventsOld} power_levels",
		},
		{
			name:  "power_levels/adding an events entry above one's own is rejected",
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60,"m.room.topic":51},"notifications":{"room":60},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
			want: "{power}.{plEventsNew} power_levels",
		},
		{
			name:  "power_levels/adding an events entry at one's own level is allowed",
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60,"m.room.topic":50},"notifications":{"room":60},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
		},
		{
			name:  "power_levels/changing a notifications level above one's own is rejected from v6",
			only:  notifAuth,
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":0},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
			want: "{power}.{plEventsOld} power_levels",
		},
		{
			name:  "power_levels/adding a notifications level above one's own is rejected from v6",
			only:  notifAuth,
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":60,"custom":99},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
			want: "{power}.{plEventsNew} power_levels",
		},
		{
			name:  "power_levels/notifications are not checked before v6",
			only:  func(v version.Spec) bool { return !notifAuth(v) },
			setup: mods,
			event: pl(bob, func(r *room) string {
				return fmt.Sprintf(`{"state_default":50,"events":{"m.room.power_levels":50,"m.room.name":60},"notifications":{"room":0,"custom":99},"users":%s}`, r.users(bob, 50, carol, 50))
			}),
		},
		{
			name:  "power_levels/demoting an equal is rejected",
			setup: mods,
			event: pl(bob, withUsers(bob, 50, carol, 0)),
			want:  "{power}.{plUsersOld} power_levels",
		},
		{
			name:  "power_levels/removing an equal is rejected",
			setup: mods,
			event: pl(bob, withUsers(bob, 50)),
			want:  "{power}.{plUsersOld} power_levels",
		},
		{
			name:  "power_levels/demoting oneself is allowed",
			setup: mods,
			event: pl(bob, withUsers(bob, 10, carol, 50)),
		},
		{
			name:  "power_levels/promoting someone above oneself is rejected",
			setup: mods,
			event: pl(bob, withUsers(bob, 50, carol, 50, dave, 51)),
			want:  "{power}.{plUsersNew} power_levels",
		},
		{
			name:  "power_levels/promoting someone to one's own level is allowed",
			setup: mods,
			event: pl(bob, withUsers(bob, 50, carol, 50, dave, 50)),
		},
		{
			name:  "power_levels/promoting oneself is rejected",
			setup: mods,
			event: pl(bob, withUsers(bob, 51, carol, 50)),
			want:  "{power}.{plUsersNew} power_levels",
		},
		{
			name:  "power_levels/the admin may demote moderators",
			setup: mods,
			event: pl(alice, withUsers(bob, 0, carol, 0)),
		},
		{
			name:  "power_levels/sender below the power_levels event level is rejected",
			setup: func(r *room) { mods(r); r.setMembership(dave, "join") },
			event: pl(dave, keep("")),
			want:  "{required} required power level",
		},
		{
			name:  "power_levels/v12: listing the creator in users is rejected",
			only:  v12,
			setup: mods,
			event: pl(alice, lit(`{"users":{"@alice:example.org":100}}`)),
			want:  "{power}.{plCreators} power_levels",
		},
		{
			name: "power_levels/v12: listing an additional creator in users is rejected",
			only: v12,
			setup: func(r *room) {
				mods(r)
				r.create.Content = []byte(`{"additional_creators":["@carol:example.org"]}`)
			},
			event: pl(alice, lit(`{"users":{"@carol:example.org":100}}`)),
			want:  "{power}.{plCreators} power_levels",
		},
		{
			name:  "power_levels/v12: a creator outranks any level",
			only:  v12,
			setup: mods,
			event: pl(alice, lit(`{"ban":9007199254740991,"users":{"@bob:example.org":9007199254740991}}`)),
		},
		{
			name: "power_levels/v12: an additional creator may demote a moderator",
			only: v12,
			setup: func(r *room) {
				mods(r)
				r.create.Content = []byte(`{"additional_creators":["@dave:other.example"]}`)
				r.setMembership(dave, "join")
			},
			event: pl(dave, withUsers(bob, 0, carol, 0)),
		},
	})
}
