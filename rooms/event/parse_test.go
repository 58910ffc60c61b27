package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// pdu returns a well-formed message PDU in v's format as a JSON object
// that tests can change key by key.
func pdu(v version.Spec) map[string]any {
	ev := map[string]any{
		"type":             "m.room.message",
		"room_id":          "!room:example.org",
		"sender":           "@alice:example.org",
		"content":          map[string]any{"body": "hello", "msgtype": "m.text"},
		"depth":            12,
		"origin_server_ts": 1700000000000,
		"hashes":           map[string]any{"sha256": "ThisHashCoversAllFieldsInCaseThisIsRedacted"},
		"signatures":       map[string]any{"example.org": map[string]any{"ed25519:1": "sig"}},
		"unsigned":         map[string]any{"age": 10},
	}
	if v.Format == version.FormatV1 {
		ev["event_id"] = "$abc:example.org"
		ev["prev_events"] = []any{[]any{"$prev:example.org", map[string]any{"sha256": "aGFzaA"}}}
		ev["auth_events"] = []any{[]any{"$create:example.org", map[string]any{}}, []any{"$pl:example.org", map[string]any{"sha256": "aGFzaA"}}}
	} else {
		ev["prev_events"] = []any{"$prev"}
		ev["auth_events"] = []any{"$create", "$pl"}
	}
	return ev
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEveryVersion(t *testing.T) {
	for _, v := range version.All() {
		t.Run("v"+string(v.ID), func(t *testing.T) {
			raw := marshal(t, pdu(v))
			ev, err := Parse(raw, v)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != "m.room.message" || ev.RoomID != "!room:example.org" || ev.Sender != "@alice:example.org" ||
				ev.Depth != 12 || ev.OriginServerTS != 1700000000000 || ev.IsState() || ev.Version != v {
				t.Errorf("fields not parsed: %+v", ev)
			}
			if string(ev.Content) != `{"body":"hello","msgtype":"m.text"}` || string(ev.Unsigned) != `{"age":10}` {
				t.Errorf("content %s unsigned %s", ev.Content, ev.Unsigned)
			}
			wantPrev, wantAuth := []string{"$prev"}, []string{"$create", "$pl"}
			if v.Format == version.FormatV1 {
				wantPrev, wantAuth = []string{"$prev:example.org"}, []string{"$create:example.org", "$pl:example.org"}
			}
			if !equalStrings(ev.PrevEvents, wantPrev) || !equalStrings(ev.AuthEvents, wantAuth) {
				t.Errorf("prev %v auth %v, want %v %v", ev.PrevEvents, ev.AuthEvents, wantPrev, wantAuth)
			}
			id, err := EventIDFor(raw, v)
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != id {
				t.Errorf("ID %q, EventIDFor %q", ev.ID, id)
			}
			switch v.EventIDs {
			case version.EventIDServerOpaque:
				if id != "$abc:example.org" {
					t.Errorf("ID %q, want the event_id property", id)
				}
			case version.EventIDBase64, version.EventIDURLSafeBase64:
				hash, err := ReferenceHash(raw, v)
				if err != nil {
					t.Fatal(err)
				}
				want := "$" + signing.EncodeURLBase64(hash[:])
				if v.EventIDs == version.EventIDBase64 {
					want = "$" + signing.EncodeBase64(hash[:])
				}
				if id != want || len(id) != 44 {
					t.Errorf("ID %q, want %q", id, want)
				}
			}
			canon := mustCanonical(t, string(raw))
			if !bytes.Equal(ev.Raw, canon) {
				t.Errorf("Raw is not the canonical event:\n%s\n%s", ev.Raw, canon)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEventIDAlphabets: v3 IDs use standard base64 and v4+ URL-safe base64
// of the same reference hash.
func TestEventIDAlphabets(t *testing.T) {
	v3, v4 := mustVersion(t, "3"), mustVersion(t, "4")
	// Find an event whose hash encodes with '+' or '/' so the alphabets differ.
	for i := 0; i < 200; i++ {
		ev := pdu(v3)
		ev["depth"] = i
		raw := marshal(t, ev)
		id3, err := EventIDFor(raw, v3)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsAny(id3, "+/") {
			continue
		}
		id4, err := EventIDFor(raw, v4)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(id4, "+/") {
			t.Fatalf("v4 ID %q is not URL-safe", id4)
		}
		if strings.NewReplacer("+", "-", "/", "_").Replace(id3) != id4 {
			t.Errorf("v3 %q and v4 %q encode different hashes", id3, id4)
		}
		return
	}
	t.Fatal("no event with + or / in its v3 ID found")
}

// TestEventIDIgnoresUnsignedAndSignatures: the reference hash covers the
// redacted event without signatures and unsigned, so neither they nor
// unprotected content changes the ID, while protected keys do.
func TestEventIDIgnoresUnsignedAndSignatures(t *testing.T) {
	v := mustVersion(t, "11")
	base := pdu(v)
	id, err := EventIDFor(marshal(t, base), v)
	if err != nil {
		t.Fatal(err)
	}
	same := []func(map[string]any){
		func(e map[string]any) { e["unsigned"] = map[string]any{"age": 99} },
		func(e map[string]any) { delete(e, "unsigned") },
		func(e map[string]any) { e["signatures"] = map[string]any{} },
		func(e map[string]any) { e["content"] = map[string]any{"body": "changed"} },
		func(e map[string]any) { e["origin"] = "elsewhere" },
	}
	for i, change := range same {
		e := pdu(v)
		change(e)
		if got, _ := EventIDFor(marshal(t, e), v); got != id {
			t.Errorf("change %d altered the ID", i)
		}
	}
	differ := []func(map[string]any){
		func(e map[string]any) { e["depth"] = 13 },
		func(e map[string]any) { e["hashes"] = map[string]any{"sha256": "other"} },
		func(e map[string]any) { e["sender"] = "@bob:example.org" },
	}
	for i, change := range differ {
		e := pdu(v)
		change(e)
		if got, _ := EventIDFor(marshal(t, e), v); got == id {
			t.Errorf("change %d did not alter the ID", i)
		}
	}
}

func TestParseV12CreateDerivesRoomID(t *testing.T) {
	v := mustVersion(t, "12")
	create := pdu(v)
	create["type"] = TypeCreate
	create["state_key"] = ""
	create["content"] = map[string]any{"room_version": "12"}
	create["prev_events"] = []any{}
	create["auth_events"] = []any{}
	delete(create, "room_id")
	raw := marshal(t, create)
	ev, err := Parse(raw, v)
	if err != nil {
		t.Fatal(err)
	}
	if ev.RoomID != "!"+ev.ID[1:] {
		t.Errorf("RoomID %q, ID %q", ev.RoomID, ev.ID)
	}
	roomID, err := RoomIDForCreate(raw, v)
	if err != nil || roomID != ev.RoomID {
		t.Errorf("RoomIDForCreate = %q, %v; want %q", roomID, err, ev.RoomID)
	}

	create["room_id"] = "!room:example.org"
	if _, err := Parse(marshal(t, create), v); !errors.Is(err, ErrUnexpectedField) {
		t.Errorf("v12 create with room_id: error %v, want ErrUnexpectedField", err)
	}
	if _, err := RoomIDForCreate(marshal(t, pdu(v)), v); !errors.Is(err, ErrNotCreate) {
		t.Errorf("RoomIDForCreate(message) error %v, want ErrNotCreate", err)
	}
	if _, err := RoomIDForCreate(raw, mustVersion(t, "11")); !errors.Is(err, ErrRoomVersion) {
		t.Errorf("RoomIDForCreate in v11: error %v, want ErrRoomVersion", err)
	}
	// Before v12 a create event needs its room_id like any other.
	v11 := mustVersion(t, "11")
	delete(create, "room_id")
	if _, err := Parse(marshal(t, create), v11); !errors.Is(err, ErrMissingField) {
		t.Errorf("v11 create without room_id: error %v, want ErrMissingField", err)
	}
}

func TestParseRedacts(t *testing.T) {
	v10, v11 := mustVersion(t, "10"), mustVersion(t, "11")
	ev := pdu(v10)
	ev["type"] = TypeRedaction
	ev["redacts"] = "$target"
	ev["content"] = map[string]any{"redacts": "$ignored-before-v11"}
	got, err := Parse(marshal(t, ev), v10)
	if err != nil || got.Redacts != "$target" {
		t.Errorf("v10: Redacts %q, %v; want top-level $target", got.Redacts, err)
	}
	ev["content"] = map[string]any{"redacts": "$in-content"}
	got, err = Parse(marshal(t, ev), v11)
	if err != nil || got.Redacts != "$in-content" {
		t.Errorf("v11: Redacts %q, %v; want content.redacts", got.Redacts, err)
	}
	ev["content"] = map[string]any{"redacts": 5}
	if _, err := Parse(marshal(t, ev), v11); !errors.Is(err, ErrFieldType) {
		t.Errorf("v11 content.redacts 5: error %v, want ErrFieldType", err)
	}
}

func TestParseStateKey(t *testing.T) {
	v := mustVersion(t, "10")
	ev := pdu(v)
	ev["state_key"] = ""
	got, err := Parse(marshal(t, ev), v)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsState() || *got.StateKey != "" {
		t.Errorf("empty state_key not kept as a state event")
	}
}

// TestParseFailures: one table row per failure class and version family.
func TestParseFailures(t *testing.T) {
	long := strings.Repeat("a", MaxIDBytes)
	refs := func(n int, v1 bool) []any {
		out := make([]any, n)
		for i := range out {
			if v1 {
				out[i] = []any{"$e:x", map[string]any{}}
			} else {
				out[i] = "$e"
			}
		}
		return out
	}
	type change func(map[string]any)
	set := func(k string, val any) change { return func(e map[string]any) { e[k] = val } }
	del := func(k string) change { return func(e map[string]any) { delete(e, k) } }
	cases := []struct {
		name     string
		versions []version.ID
		change   change
		want     error
	}{
		{"missing type", nil, del("type"), ErrMissingField},
		{"missing sender", nil, del("sender"), ErrMissingField},
		{"missing content", nil, del("content"), ErrMissingField},
		{"missing depth", nil, del("depth"), ErrMissingField},
		{"missing origin_server_ts", nil, del("origin_server_ts"), ErrMissingField},
		{"missing prev_events", nil, del("prev_events"), ErrMissingField},
		{"missing auth_events", nil, del("auth_events"), ErrMissingField},
		{"missing hashes", nil, del("hashes"), ErrMissingField},
		{"missing hashes.sha256", nil, set("hashes", map[string]any{"sha512": "x"}), ErrMissingField},
		{"missing signatures", nil, del("signatures"), ErrMissingField},
		{"missing room_id", nil, del("room_id"), ErrMissingField},
		{"missing event_id in v1", []version.ID{"1", "2"}, del("event_id"), ErrMissingField},
		{"event_id from v3", []version.ID{"3", "4", "6", "11", "12"}, set("event_id", "$abc:example.org"), ErrUnexpectedField},

		{"type not a string", nil, set("type", 5), ErrFieldType},
		{"sender not a string", nil, set("sender", []any{}), ErrFieldType},
		{"room_id not a string", nil, set("room_id", nil), ErrFieldType},
		{"state_key not a string", nil, set("state_key", false), ErrFieldType},
		{"content not an object", nil, set("content", "x"), ErrFieldType},
		{"content an array", nil, set("content", []any{}), ErrFieldType},
		{"depth a string", nil, set("depth", "12"), ErrFieldType},
		{"depth a float", []version.ID{"1", "5"}, set("depth", 1.5), ErrFieldType},
		{"origin_server_ts a string", nil, set("origin_server_ts", "1"), ErrFieldType},
		{"hashes not an object", nil, set("hashes", "x"), ErrFieldType},
		{"hashes.sha256 not a string", nil, set("hashes", map[string]any{"sha256": 1}), ErrFieldType},
		{"signatures not an object", nil, set("signatures", []any{}), ErrFieldType},
		{"signatures entry not an object", nil, set("signatures", map[string]any{"x": "y"}), ErrFieldType},
		{"signature not a string", nil, set("signatures", map[string]any{"x": map[string]any{"ed25519:1": 1}}), ErrFieldType},
		{"unsigned not an object", nil, set("unsigned", 1), ErrFieldType},
		{"prev_events not an array", nil, set("prev_events", "$e"), ErrFieldType},
		{"prev_events of numbers", nil, set("prev_events", []any{1}), ErrFieldType},
		{"v1 plain IDs", []version.ID{"1", "2"}, set("prev_events", []any{"$e:x"}), ErrFieldType},
		{"v1 pair too short", []version.ID{"1", "2"}, set("auth_events", []any{[]any{"$e:x"}}), ErrFieldType},
		{"v1 pair hashes not object", []version.ID{"1", "2"}, set("auth_events", []any{[]any{"$e:x", "h"}}), ErrFieldType},
		{"v3 pairs", []version.ID{"3", "11"}, set("prev_events", []any{[]any{"$e", map[string]any{}}}), ErrFieldType},
		{"redacts not a string before v11", []version.ID{"1", "10"}, set("redacts", 1), ErrFieldType},

		{"sender without sigil", nil, set("sender", "alice:example.org"), ErrFieldValue},
		{"room_id without sigil", nil, set("room_id", "room:example.org"), ErrFieldValue},
		{"prev event without sigil", []version.ID{"3", "12"}, set("prev_events", []any{"e"}), ErrFieldValue},
		{"negative depth", nil, set("depth", -1), ErrFieldValue},
		{"depth over 2^63-1", []version.ID{"1", "5"}, set("depth", json.Number("9223372036854775808")), ErrFieldValue},

		{"type 256 bytes", nil, set("type", long+"a"), ErrFieldTooLong},
		{"state_key 256 bytes", nil, set("state_key", long+"a"), ErrFieldTooLong},
		{"sender 256 bytes", nil, set("sender", "@"+long), ErrFieldTooLong},
		{"room_id 256 bytes", nil, set("room_id", "!"+long), ErrFieldTooLong},
		{"event_id 256 bytes", []version.ID{"1", "2"}, set("event_id", "$"+long), ErrFieldTooLong},
		{"prev event 256 bytes", []version.ID{"4"}, set("prev_events", []any{"$" + long}), ErrFieldTooLong},

		{"21 prev_events", []version.ID{"1", "11"}, nil, ErrTooManyReferences},
		{"11 auth_events", []version.ID{"2", "12"}, nil, ErrTooManyReferences},

		{"float from v6", []version.ID{"6", "12"}, set("content", map[string]any{"n": 1.5}), ErrBadJSON},
		{"integer beyond 2^53 from v6", []version.ID{"6", "12"}, set("depth", json.Number("9007199254740992")), ErrBadJSON},
	}
	for _, c := range cases {
		versions := c.versions
		if versions == nil {
			versions = []version.ID{"1", "3", "6", "11", "12"}
		}
		for _, id := range versions {
			v := mustVersion(t, id)
			t.Run(c.name+"/v"+string(id), func(t *testing.T) {
				ev := pdu(v)
				switch {
				case c.change != nil:
					c.change(ev)
				case c.name == "21 prev_events":
					ev["prev_events"] = refs(MaxPrevEvents+1, v.Format == version.FormatV1)
				case c.name == "11 auth_events":
					ev["auth_events"] = refs(MaxAuthEvents+1, v.Format == version.FormatV1)
				}
				_, err := Parse(marshal(t, ev), v)
				if !errors.Is(err, c.want) {
					t.Errorf("error = %v, want %v", err, c.want)
				}
			})
		}
	}
}

// TestParseLimitsAtTheBoundary: exactly at each limit is accepted.
func TestParseLimitsAtTheBoundary(t *testing.T) {
	long := strings.Repeat("a", MaxIDBytes-1)
	for _, id := range []version.ID{"1", "4", "11"} {
		v := mustVersion(t, id)
		ev := pdu(v)
		ev["type"] = long + "t"
		ev["state_key"] = long + "k"
		ev["sender"] = "@" + long
		ev["room_id"] = "!" + long
		if v.Format == version.FormatV1 {
			ev["event_id"] = "$" + long
			ev["prev_events"] = make([]any, MaxPrevEvents)
			for i := range MaxPrevEvents {
				ev["prev_events"].([]any)[i] = []any{"$" + long, map[string]any{}}
			}
		} else {
			prev := make([]any, MaxPrevEvents)
			for i := range prev {
				prev[i] = "$" + long
			}
			ev["prev_events"] = prev
		}
		if _, err := Parse(marshal(t, ev), v); err != nil {
			t.Errorf("v%s: limits reached exactly: %v", id, err)
		}
	}
}

// TestParseSizeLimit: 65536 bytes of canonical JSON are allowed, one more
// is not, and it is the canonical size that counts, not the input's.
func TestParseSizeLimit(t *testing.T) {
	v := mustVersion(t, "11")
	ev := pdu(v)
	ev["content"] = map[string]any{"body": ""}
	base := len(mustCanonical(t, string(marshal(t, ev))))
	ev["content"] = map[string]any{"body": strings.Repeat("x", MaxSize-base)}
	raw := marshal(t, ev)
	if n := len(mustCanonical(t, string(raw))); n != MaxSize {
		t.Fatalf("fixture is %d bytes, want %d", n, MaxSize)
	}
	if _, err := Parse(raw, v); err != nil {
		t.Errorf("event of exactly %d bytes: %v", MaxSize, err)
	}
	padded := append(bytes.Repeat([]byte(" "), 1000), raw...)
	if _, err := Parse(padded, v); err != nil {
		t.Errorf("whitespace counted towards the limit: %v", err)
	}
	ev["content"] = map[string]any{"body": strings.Repeat("x", MaxSize-base+1)}
	if _, err := Parse(marshal(t, ev), v); !errors.Is(err, ErrTooLarge) {
		t.Errorf("event of %d bytes: error %v, want ErrTooLarge", MaxSize+1, err)
	}
}

func TestParseNotJSON(t *testing.T) {
	v := mustVersion(t, "11")
	for in, want := range map[string]error{
		``:                    ErrBadJSON,
		`{`:                   ErrBadJSON,
		`[]`:                  ErrNotObject,
		`"event"`:             ErrNotObject,
		"{\"type\":\"\xff\"}": ErrBadJSON,
		`{"a":1,"a":2}`:       ErrBadJSON,
	} {
		if _, err := Parse([]byte(in), v); !errors.Is(err, want) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, want)
		}
	}
}

// TestParseLenientVersionsKeepFloats: rooms v1–v5 accept floats in content
// and duplicate keys, and Raw keeps the canonical (Python-compatible) form.
func TestParseLenientVersionsKeepFloats(t *testing.T) {
	v := mustVersion(t, "5")
	raw := `{"auth_events":[],"content":{"ban":50.5,"users":{"@a:x":"100"}},"depth":3,"hashes":{"sha256":"x"},` +
		`"origin_server_ts":1,"prev_events":[],"room_id":"!r:x","sender":"@a:x","signatures":{},` +
		`"state_key":"","type":"m.room.power_levels","type":"m.room.power_levels"}`
	ev, err := Parse([]byte(raw), v)
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Content) != `{"ban":50.5,"users":{"@a:x":"100"}}` {
		t.Errorf("content %s", ev.Content)
	}
	if _, err := Parse([]byte(raw), mustVersion(t, "6")); !errors.Is(err, ErrBadJSON) {
		t.Errorf("v6 accepted floats and duplicate keys: %v", err)
	}
}
