package auth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// mkCreate builds a create event of version id as that version expects
// it; mutate adjusts it.
func mkCreate(t *testing.T, id version.ID, content string, mutate func(e *event.Event)) *event.Event {
	v := mustVersion(t, id)
	e := mkEvent(t, v, event.TypeCreate, sk(""), alice, content)
	e.ID = "$create"
	if v.EventIDs == version.EventIDServerOpaque {
		e.ID = "$create:example.org"
	}
	if !v.RoomIDFromCreateEvent {
		e.RoomID = "!room:example.org"
	}
	e.Raw = []byte(fmt.Sprintf(`{"signatures":{"example.org":{"ed25519:a":"x"}},"room_id":%q}`, e.RoomID))
	if v.RoomIDFromCreateEvent {
		e.Raw = []byte(`{"signatures":{"example.org":{"ed25519:a":"x"}}}`)
	}
	if mutate != nil {
		mutate(e)
	}
	return e
}

func TestCreate(t *testing.T) {
	type createCase struct {
		name    string
		only    func(v version.Spec) bool
		content string
		mutate  func(e *event.Event)
		want    string // rule, without the version prefix
	}
	inContent := func(v version.Spec) bool { return v.CreatorInContent }
	noCreator := func(v version.Spec) bool { return !v.CreatorInContent }
	cases := []createCase{
		{name: "create/well formed is allowed", content: `{"creator":"@alice:example.org","room_version":"1"}`},
		{name: "create/prev_events is rejected", content: `{"creator":"@alice:example.org"}`,
			mutate: func(e *event.Event) { e.PrevEvents = []string{"$x"} }, want: "1.1 create"},
		{name: "create/room_id on another server is rejected", only: preV12, content: `{"creator":"@alice:example.org"}`,
			mutate: func(e *event.Event) { e.RoomID = "!room:other.example" }, want: "1.2 create"},
		{name: "create/room_id present is rejected", only: v12, content: `{}`,
			mutate: func(e *event.Event) { e.Raw = []byte(`{"room_id":"!x","signatures":{"example.org":{}}}`) }, want: "1.2 create"},
		{name: "create/derived room_id filled by the parser is allowed", only: v12, content: `{}`,
			mutate: func(e *event.Event) { e.RoomID = "!create" }},
		{name: "create/unknown room_version is rejected", content: `{"creator":"@alice:example.org","room_version":"13"}`, want: "1.3 create"},
		{name: "create/room_version that is not a string is rejected", content: `{"creator":"@alice:example.org","room_version":12}`, want: "1.3 create"},
		{name: "create/no creator is rejected before v11", only: inContent, content: `{"room_version":"1"}`, want: "1.4 create"},
		{name: "create/no creator is allowed from v11", only: noCreator, content: `{"room_version":"11"}`},
		{name: "create/additional_creators of user IDs is allowed", only: v12, content: `{"additional_creators":["@bob:example.org","@dave:other.example:8448"]}`},
		{name: "create/additional_creators not an array is rejected", only: v12, content: `{"additional_creators":"@bob:example.org"}`, want: "1.4 create"},
		{name: "create/additional_creators with a non-string is rejected", only: v12, content: `{"additional_creators":[1]}`, want: "1.4 create"},
		{name: "create/additional_creators with an invalid user ID is rejected", only: v12, content: `{"additional_creators":["bob"]}`, want: "1.4 create"},
		{name: "create/additional_creators with a bad server name is rejected", only: v12, content: `{"additional_creators":["@bob:exa mple.org"]}`, want: "1.4 create"},
	}
	for _, v := range version.All() {
		for _, c := range cases {
			if c.only != nil && !c.only(v) {
				continue
			}
			t.Run(fmt.Sprintf("v%s/%s", v.ID, c.name), func(t *testing.T) {
				want := ""
				if c.want != "" {
					want = fmt.Sprintf("v%s §%s", v.ID, c.want)
				}
				ev := mkCreate(t, v.ID, c.content, c.mutate)
				wantResult(t, Allowed(ev, StateMap{}), want)
				wantResult(t, CheckIndependent(ev), want)
			})
		}
	}
}

// bigPDU is a signed PDU with an "x" string of n bytes, padded by pad.
func bigPDU(n int, pad string) []byte {
	return []byte(`{"signatures":{"example.org":{}},` + pad + `"x":"` + strings.Repeat("a", n) + `"}`)
}

func TestCheckIndependent(t *testing.T) {
	long := string(make([]byte, 256))
	base := func(t *testing.T, id version.ID) *event.Event {
		v := mustVersion(t, id)
		e := mkEvent(t, v, "m.room.message", nil, alice, `{}`)
		e.ID, e.RoomID = "$m", "!room:example.org"
		if v.EventIDs == version.EventIDServerOpaque {
			e.ID = "$m:example.org"
		}
		e.Raw = []byte(`{"signatures":{"example.org":{"ed25519:a":"x"}}}`)
		return e
	}
	cases := []struct {
		name   string
		id     version.ID
		mutate func(e *event.Event)
		want   string
	}{
		{name: "signed by the sender's server is allowed", id: "10"},
		{name: "not signed by the sender's server is rejected", id: "10",
			mutate: func(e *event.Event) { e.Raw = []byte(`{"signatures":{"other.example":{}}}`) }, want: "v10 signatures"},
		{name: "no raw form means no signatures", id: "10",
			mutate: func(e *event.Event) { e.Raw = nil }, want: "v10 signatures"},
		{name: "v1: event ID's server must sign too", id: "1",
			mutate: func(e *event.Event) { e.ID = "$m:other.example" }, want: "v1 signatures"},
		{name: "v3: event ID has no server", id: "3"},
		{name: "type over 255 bytes is rejected", id: "10",
			mutate: func(e *event.Event) { e.Type = long }, want: "v10 size limits"},
		{name: "state_key over 255 bytes is rejected", id: "10",
			mutate: func(e *event.Event) { e.StateKey = &long }, want: "v10 size limits"},
		{name: "state_key of 255 bytes is allowed", id: "10",
			mutate: func(e *event.Event) { s := long[:255]; e.StateKey = &s }},
		{name: "sender over 255 bytes is rejected", id: "10",
			mutate: func(e *event.Event) { e.Sender = "@" + long + ":example.org" }, want: "v10 size limits"},
		{name: "room_id over 255 bytes is rejected", id: "10",
			mutate: func(e *event.Event) { e.RoomID = "!" + long }, want: "v10 size limits"},
		{name: "event over 65536 bytes is rejected", id: "10",
			mutate: func(e *event.Event) { e.Raw = bigPDU(65537-len(`{"signatures":{"example.org":{}},"x":""}`), "") }, want: "v10 size limits"},
		{name: "event of 65536 bytes is allowed", id: "10",
			mutate: func(e *event.Event) { e.Raw = bigPDU(65536-len(`{"signatures":{"example.org":{}},"x":""}`), "") }},
		{name: "event over 65536 bytes only through whitespace is allowed", id: "10",
			mutate: func(e *event.Event) { e.Raw = bigPDU(65000, strings.Repeat(" ", 1000)) }},
		{name: "sender that is not a user ID is rejected", id: "10",
			mutate: func(e *event.Event) { e.Sender = "alice" }, want: "v10 event format"},
		{name: "join_authorised_via_users_server's server must appear in signatures", id: "10",
			mutate: func(e *event.Event) {
				e.Type, e.StateKey = event.TypeMember, sk(alice)
				e.Content = []byte(`{"membership":"join","join_authorised_via_users_server":"@carol:third.example"}`)
			}, want: "v10 §4.2.1 member"},
		{name: "join_authorised_via_users_server's server in signatures is allowed", id: "10",
			mutate: func(e *event.Event) {
				e.Type, e.StateKey = event.TypeMember, sk(alice)
				e.Content = []byte(`{"membership":"join","join_authorised_via_users_server":"@carol:third.example"}`)
				e.Raw = []byte(`{"signatures":{"example.org":{"ed25519:a":"x"},"third.example":{"ed25519:b":"y"}}}`)
			}},
		{name: "historical sender localpart is allowed", id: "10",
			mutate: func(e *event.Event) { e.Sender = "@Alice Smith!:example.org" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := base(t, c.id)
			if c.mutate != nil {
				c.mutate(e)
			}
			wantResult(t, CheckIndependent(e), c.want)
		})
	}
}

func TestCheckSigners(t *testing.T) {
	via := `{"membership":"join","join_authorised_via_users_server":"@carol:third.example"}`
	cases := []struct {
		name    string
		id      version.ID
		content string
		signers []string
		want    string
	}{
		{"member/join_authorised_via_users_server/signed by its server is allowed", "8", via, []string{"example.org", "third.example"}, ""},
		{"member/join_authorised_via_users_server/not signed by its server is rejected", "8", via, []string{"example.org"}, "v8 §4.2.1 member"},
		{"member/join_authorised_via_users_server/v12 numbering", "12", via, []string{"example.org"}, "v12 §5.2.1 member"},
		{"member/join_authorised_via_users_server/not a string is rejected", "10", `{"membership":"join","join_authorised_via_users_server":5}`, []string{"example.org"}, "v10 §4.2.1 member"},
		{"member/join_authorised_via_users_server/ignored before v8", "7", via, []string{"example.org"}, ""},
		{"member/join_authorised_via_users_server/not checked on a leave", "10", `{"membership":"leave","join_authorised_via_users_server":"@carol:third.example"}`, []string{"example.org"}, ""},
		{"sender's server missing is rejected", "8", `{"membership":"join"}`, []string{"third.example"}, "v8 signatures"},
		{"third-party invite may come from another server", "10", `{"membership":"invite","third_party_invite":{"signed":{}}}`, []string{"id-bound.example"}, ""},
		{"plain invite must be signed by the sender's server", "10", `{"membership":"invite"}`, []string{"id-bound.example"}, "v10 signatures"},
		{"v1: third-party invite still needs the event ID's server", "1", `{"membership":"invite","third_party_invite":{"signed":{}}}`, []string{"id-bound.example"}, "v1 signatures"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := mustVersion(t, c.id)
			e := mkEvent(t, v, event.TypeMember, sk(bob), bob, c.content)
			e.ID = "$j"
			if v.EventIDs == version.EventIDServerOpaque {
				e.ID = "$j:example.org"
			}
			wantResult(t, CheckSigners(e, c.signers), c.want)
		})
	}
}

func TestCreateHasRoomIDWithoutRaw(t *testing.T) {
	v := mustVersion(t, "12")
	cases := []struct {
		name, roomID string
		want         bool
	}{
		{"no room_id", "", false},
		{"derived room_id", "!create", false},
		{"other room_id", "!elsewhere", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mkEvent(t, v, event.TypeCreate, sk(""), alice, `{}`)
			e.ID, e.RoomID = "$create", c.roomID
			if got := createHasRoomID(e); got != c.want {
				t.Fatalf("createHasRoomID = %v, want %v", got, c.want)
			}
		})
	}
}
