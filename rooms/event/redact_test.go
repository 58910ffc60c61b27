package event

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

// redactionEvent is an event carrying every top-level key any redaction
// algorithm mentions, plus keys none protects.
func redactionEvent(eventType, content string) string {
	return `{"age_ts":5,"auth_events":[],"content":` + content + `,"depth":1,"event_id":"$e:x",` +
		`"extra":true,"hashes":{"sha256":"h"},"membership":"join","origin":"x","origin_server_ts":1,` +
		`"prev_events":[],"prev_state":[],"redacts":"$r:x","room_id":"!r:x","sender":"@s:x",` +
		`"signatures":{"x":{"ed25519:1":"s"}},"state_key":"","type":"` + eventType + `","unsigned":{"age":1}}`
}

// TestRedactTopLevel checks which top-level keys survive: the list of
// fragments v1-, v6-, v9-redactions and the v8 page, and the shorter list of
// v11-redactions (origin, membership and prev_state no longer protected).
func TestRedactTopLevel(t *testing.T) {
	const before11 = `{"auth_events":[],"content":{},"depth":1,"event_id":"$e:x","hashes":{"sha256":"h"},` +
		`"membership":"join","origin":"x","origin_server_ts":1,"prev_events":[],"prev_state":[],` +
		`"room_id":"!r:x","sender":"@s:x","signatures":{"x":{"ed25519:1":"s"}},"state_key":"","type":"m.room.message"}`
	const from11 = `{"auth_events":[],"content":{},"depth":1,"event_id":"$e:x","hashes":{"sha256":"h"},` +
		`"origin_server_ts":1,"prev_events":[],` +
		`"room_id":"!r:x","sender":"@s:x","signatures":{"x":{"ed25519:1":"s"}},"state_key":"","type":"m.room.message"}`
	in := redactionEvent("m.room.message", `{"body":"hello","msgtype":"m.text"}`)
	for _, v := range version.All() {
		want := before11
		if v.Redaction >= version.RedactionV11 {
			want = from11
		}
		got, err := Redact([]byte(in), v)
		if err != nil {
			t.Fatalf("v%s: %v", v.ID, err)
		}
		if string(got) != want {
			t.Errorf("v%s:\n got %s\nwant %s", v.ID, got, want)
		}
	}
}

// TestRedactContent checks, per event type and redaction algorithm, which
// content keys survive. Columns: rooms/fragments/v1-redactions.md,
// v6-redactions.md, the v8.md "Redactions" list, v9-redactions.md and
// v11-redactions.md.
func TestRedactContent(t *testing.T) {
	type want struct{ v1, v6, v8, v9, v11 string }
	cases := []struct {
		name, eventType, content string
		want                     want
	}{
		{
			name: "member", eventType: TypeMember,
			content: `{"avatar_url":"mxc://a/b","displayname":"A","join_authorised_via_users_server":"@u:x",` +
				`"membership":"join","reason":"r","third_party_invite":{"display_name":"d","signed":{"mxid":"@a:x","token":"t"}}}`,
			want: want{
				v1:  `{"membership":"join"}`,
				v6:  `{"membership":"join"}`,
				v8:  `{"membership":"join"}`,
				v9:  `{"join_authorised_via_users_server":"@u:x","membership":"join"}`,
				v11: `{"join_authorised_via_users_server":"@u:x","membership":"join","third_party_invite":{"signed":{"mxid":"@a:x","token":"t"}}}`,
			},
		},
		{
			name: "member third_party_invite without signed", eventType: TypeMember,
			content: `{"membership":"invite","third_party_invite":{"display_name":"d"}}`,
			want: want{
				v1: `{"membership":"invite"}`, v6: `{"membership":"invite"}`, v8: `{"membership":"invite"}`,
				v9: `{"membership":"invite"}`, v11: `{"membership":"invite"}`,
			},
		},
		{
			name: "member third_party_invite not an object", eventType: TypeMember,
			content: `{"membership":"invite","third_party_invite":"x"}`,
			want: want{
				v1: `{"membership":"invite"}`, v6: `{"membership":"invite"}`, v8: `{"membership":"invite"}`,
				v9: `{"membership":"invite"}`, v11: `{"membership":"invite"}`,
			},
		},
		{
			name: "create", eventType: TypeCreate,
			content: `{"additional_creators":["@b:x"],"creator":"@a:x","m.federate":false,"predecessor":{"room_id":"!o:x"},"room_version":"9","type":"m.space"}`,
			want: want{
				v1: `{"creator":"@a:x"}`, v6: `{"creator":"@a:x"}`, v8: `{"creator":"@a:x"}`, v9: `{"creator":"@a:x"}`,
				v11: `{"additional_creators":["@b:x"],"creator":"@a:x","m.federate":false,"predecessor":{"room_id":"!o:x"},"room_version":"9","type":"m.space"}`,
			},
		},
		{
			name: "join rules", eventType: TypeJoinRules,
			content: `{"allow":[{"room_id":"!s:x","type":"m.room_membership"}],"join_rule":"restricted","other":1}`,
			want: want{
				v1: `{"join_rule":"restricted"}`, v6: `{"join_rule":"restricted"}`,
				v8:  `{"allow":[{"room_id":"!s:x","type":"m.room_membership"}],"join_rule":"restricted"}`,
				v9:  `{"allow":[{"room_id":"!s:x","type":"m.room_membership"}],"join_rule":"restricted"}`,
				v11: `{"allow":[{"room_id":"!s:x","type":"m.room_membership"}],"join_rule":"restricted"}`,
			},
		},
		{
			name: "power levels", eventType: TypePowerLevels,
			content: `{"ban":50,"events":{"m.room.name":50},"events_default":0,"invite":0,"kick":50,"notifications":{"room":50},` +
				`"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
			want: want{
				v1:  `{"ban":50,"events":{"m.room.name":50},"events_default":0,"kick":50,"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
				v6:  `{"ban":50,"events":{"m.room.name":50},"events_default":0,"kick":50,"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
				v8:  `{"ban":50,"events":{"m.room.name":50},"events_default":0,"kick":50,"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
				v9:  `{"ban":50,"events":{"m.room.name":50},"events_default":0,"kick":50,"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
				v11: `{"ban":50,"events":{"m.room.name":50},"events_default":0,"invite":0,"kick":50,"redact":50,"state_default":50,"users":{"@a:x":100},"users_default":0}`,
			},
		},
		{
			name: "aliases", eventType: TypeAliases,
			content: `{"aliases":["#a:x"],"other":1}`,
			want:    want{v1: `{"aliases":["#a:x"]}`, v6: `{}`, v8: `{}`, v9: `{}`, v11: `{}`},
		},
		{
			name: "history visibility", eventType: TypeHistoryVisibility,
			content: `{"history_visibility":"shared","other":1}`,
			want: want{
				v1: `{"history_visibility":"shared"}`, v6: `{"history_visibility":"shared"}`, v8: `{"history_visibility":"shared"}`,
				v9: `{"history_visibility":"shared"}`, v11: `{"history_visibility":"shared"}`,
			},
		},
		{
			name: "redaction", eventType: TypeRedaction,
			content: `{"reason":"spam","redacts":"$t:x"}`,
			want:    want{v1: `{}`, v6: `{}`, v8: `{}`, v9: `{}`, v11: `{"redacts":"$t:x"}`},
		},
		{
			name: "message", eventType: "m.room.message",
			content: `{"body":"hi","msgtype":"m.text"}`,
			want:    want{v1: `{}`, v6: `{}`, v8: `{}`, v9: `{}`, v11: `{}`},
		},
		{
			name: "topic", eventType: TypeTopic,
			content: `{"topic":"t"}`,
			want:    want{v1: `{}`, v6: `{}`, v8: `{}`, v9: `{}`, v11: `{}`},
		},
		{
			name: "member without protected keys", eventType: TypeMember,
			content: `{"displayname":"A"}`,
			want:    want{v1: `{}`, v6: `{}`, v8: `{}`, v9: `{}`, v11: `{}`},
		},
	}
	for _, c := range cases {
		for _, v := range version.All() {
			var want string
			switch v.Redaction {
			case version.RedactionV1:
				want = c.want.v1
			case version.RedactionV6:
				want = c.want.v6
			case version.RedactionV8:
				want = c.want.v8
			case version.RedactionV9:
				want = c.want.v9
			case version.RedactionV11:
				want = c.want.v11
			}
			t.Run(c.name+"/v"+string(v.ID), func(t *testing.T) {
				got, err := Redact([]byte(redactionEvent(c.eventType, c.content)), v)
				if err != nil {
					t.Fatal(err)
				}
				if gotContent := contentOf(t, got); gotContent != want {
					t.Errorf("content\n got %s\nwant %s", gotContent, want)
				}
			})
		}
	}
}

func contentOf(t *testing.T, event []byte) string {
	t.Helper()
	members, err := objectMembers(event, "event")
	if err != nil {
		t.Fatal(err)
	}
	return string(member(members, "content"))
}

func TestRedactIsIdempotent(t *testing.T) {
	for _, v := range version.All() {
		once, err := Redact([]byte(redactionEvent(TypeMember, `{"membership":"join","displayname":"x"}`)), v)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := Redact(once, v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Errorf("v%s: redacting twice changed the event:\n%s\n%s", v.ID, once, twice)
		}
	}
}

func TestRedactRejects(t *testing.T) {
	v6 := mustVersion(t, "6")
	cases := []struct {
		name string
		in   string
		v    version.Spec
		want error
	}{
		{"not JSON", `{"type":`, v6, ErrBadJSON},
		{"array", `[1,2]`, v6, ErrNotObject},
		{"float in strict version", `{"type":"m.room.message","content":{"n":1.5}}`, v6, ErrBadJSON},
		{"duplicate key in strict version", `{"type":"x","type":"y"}`, v6, ErrBadJSON},
		{"unknown redaction rules", `{}`, version.Spec{ID: "x"}, ErrRoomVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Redact([]byte(c.in), c.v)
			if !errors.Is(err, c.want) {
				t.Errorf("error = %v, want %v", err, c.want)
			}
		})
	}
}

// TestRedactLenientVersion: room versions 1 to 5 must accept what strict
// canonical JSON rejects (rooms/fragments/v1-canonical-json.md).
func TestRedactLenientVersion(t *testing.T) {
	got, err := Redact([]byte(`{"type":"m.room.power_levels","content":{"ban":50.5,"x":1},"depth":1}`), mustVersion(t, "5"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"content":{"ban":50.5},"depth":1,"type":"m.room.power_levels"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRedactNonObjectContent(t *testing.T) {
	got, err := Redact([]byte(`{"type":"m.room.member","content":"x"}`), mustVersion(t, "11"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"content":{}`) {
		t.Errorf("got %s, want content {}", got)
	}
}
