package filter

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty object", `{}`, nil},
		{"spec example", `{"room":{"state":{"types":["m.room.*"],"not_rooms":["!726s6s6q:example.com"]},"timeline":{"limit":10,"types":["m.room.message"],"not_rooms":["!726s6s6q:example.com"],"not_senders":["@spam:example.com"]},"ephemeral":{"types":["m.receipt","m.typing"],"not_rooms":["!726s6s6q:example.com"],"not_senders":["@spam:example.com"]}},"presence":{"types":["m.presence"],"not_senders":["@alice:example.com"]},"event_format":"client","event_fields":["type","content","sender"]}`, nil},
		{"lazy loading", `{"room":{"state":{"lazy_load_members":true,"include_redundant_members":true}}}`, nil},
		{"unknown fields ignored", `{"org.example.x":1,"room":{"y":[]}}`, nil},
		{"not an object", `[]`, ErrBadJSON},
		{"not JSON", `{`, ErrBadJSON},
		{"empty", ``, ErrBadJSON},
		{"types not a list", `{"room":{"timeline":{"types":"m.room.message"}}}`, ErrBadJSON},
		{"type entry not a string", `{"presence":{"types":[1]}}`, ErrBadJSON},
		{"limit not a number", `{"room":{"timeline":{"limit":"10"}}}`, ErrBadJSON},
		{"limit fractional", `{"room":{"timeline":{"limit":1.5}}}`, ErrBadJSON},
		{"limit negative", `{"room":{"timeline":{"limit":-1}}}`, ErrInvalid},
		{"contains_url not bool", `{"room":{"timeline":{"contains_url":"yes"}}}`, ErrBadJSON},
		{"rooms not a list", `{"room":{"rooms":"!a:b"}}`, ErrBadJSON},
		{"event_format unknown", `{"event_format":"raw"}`, ErrInvalid},
		{"event_fields empty entry", `{"event_fields":[""]}`, ErrInvalid},
		{"include_leave not bool", `{"room":{"include_leave":1}}`, ErrBadJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Parse(%s) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"m.room.*", "m.room.message", true},
		{"m.room.*", "m.room.", true},
		{"m.room.*", "m.roo", false},
		{"*", "", true},
		{"*", "anything", true},
		{"m.*.message", "m.room.message", true},
		{"m.*.message", "m.room.messages", false},
		{"m.room.message", "m.room.message", true},
		{"m.room.message", "M.ROOM.MESSAGE", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tc := range tests {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func mustParse(t *testing.T, s string) Filter {
	t.Helper()
	f, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRoomEventMatch(t *testing.T) {
	msg := Event{RoomID: "!a:hs", Sender: "@alice:hs", Type: "m.room.message"}
	img := Event{RoomID: "!a:hs", Sender: "@alice:hs", Type: "m.room.message", HasURL: true}
	member := Event{RoomID: "!b:hs", Sender: "@bob:hs", Type: "m.room.member"}
	spam := Event{RoomID: "!a:hs", Sender: "@spam:hs", Type: "m.room.message"}
	custom := Event{RoomID: "!a:hs", Sender: "@alice:hs", Type: "org.example.thing"}
	tests := []struct {
		name, filter string
		ev           Event
		want         bool
	}{
		{"no filter", `{}`, msg, true},
		{"types exact", `{"types":["m.room.message"]}`, msg, true},
		{"types miss", `{"types":["m.room.message"]}`, member, false},
		{"types wildcard", `{"types":["m.room.*"]}`, member, true},
		{"types wildcard miss", `{"types":["m.room.*"]}`, custom, false},
		{"empty types matches nothing", `{"types":[]}`, msg, false},
		{"not_types wins over types", `{"types":["m.room.*"],"not_types":["m.room.member"]}`, member, false},
		{"not_types wildcard", `{"not_types":["*"]}`, msg, false},
		{"senders", `{"senders":["@alice:hs"]}`, msg, true},
		{"senders miss", `{"senders":["@alice:hs"]}`, member, false},
		{"not_senders", `{"not_senders":["@spam:hs"]}`, spam, false},
		{"not_senders other", `{"not_senders":["@spam:hs"]}`, msg, true},
		{"rooms", `{"rooms":["!a:hs"]}`, msg, true},
		{"rooms miss", `{"rooms":["!a:hs"]}`, member, false},
		{"not_rooms wins", `{"rooms":["!a:hs"],"not_rooms":["!a:hs"]}`, msg, false},
		{"contains_url true with url", `{"contains_url":true}`, img, true},
		{"contains_url true without", `{"contains_url":true}`, msg, false},
		{"contains_url false with url", `{"contains_url":false}`, img, false},
		{"contains_url false without", `{"contains_url":false}`, msg, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, `{"room":{"timeline":`+tc.filter+`}}`)
			if got := f.Room.Timeline.Match(tc.ev); got != tc.want {
				t.Fatalf("%s on %+v = %v, want %v", tc.filter, tc.ev, got, tc.want)
			}
		})
	}
}

func TestRoomsAndLimits(t *testing.T) {
	f := mustParse(t, `{"room":{"rooms":["!a:hs","!b:hs"],"not_rooms":["!b:hs"],"timeline":{"limit":7}},"presence":{"not_types":["*"]}}`)
	if !f.Room.IncludesRoom("!a:hs") || f.Room.IncludesRoom("!b:hs") || f.Room.IncludesRoom("!c:hs") {
		t.Fatal("room inclusion wrong")
	}
	if f.Room.Timeline.LimitOr(10) != 7 || f.Room.State.LimitOr(10) != 10 {
		t.Fatal("limits wrong")
	}
	if f.Presence.Match(Event{Type: "m.presence", Sender: "@a:hs"}) {
		t.Fatal("presence not_types * lets presence through")
	}
	if !(Filter{}).Room.IncludesRoom("!x:hs") {
		t.Fatal("the empty filter excludes a room")
	}
}

func TestContainsURL(t *testing.T) {
	for in, want := range map[string]bool{
		`{"url":"mxc://a/b"}`: true, `{"body":"x"}`: false, `{"url":5}`: false, `not json`: false,
	} {
		if got := ContainsURL(json.RawMessage(in)); got != want {
			t.Errorf("ContainsURL(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestLazyMembers(t *testing.T) {
	senders := []string{"@a:hs", "@b:hs", "@a:hs", "@c:hs"}
	sent := map[string]bool{"@b:hs": true}
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"off", `{}`, nil},
		{"lazy, redundant skipped", `{"lazy_load_members":true}`, []string{"@a:hs", "@c:hs"}},
		{"lazy with redundant", `{"lazy_load_members":true,"include_redundant_members":true}`, []string{"@a:hs", "@b:hs", "@c:hs"}},
	}
	for _, tc := range tests {
		f := mustParse(t, `{"room":{"state":`+tc.filter+`}}`)
		got := f.Room.State.LazyMembers(senders, sent)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"room":{"timeline":{"limit":10,"types":["m.*"],"contains_url":true}}}`))
	f.Add([]byte(`{"presence":{"not_senders":["@a:b"]},"event_format":"federation"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		// A parsed filter can be matched against anything without panicking,
		// and re-encodes to a filter that parses the same way.
		ev := Event{RoomID: "!r:hs", Sender: "@s:hs", Type: "m.room.message"}
		_ = fl.Room.Timeline.Match(ev)
		_ = fl.Presence.Match(ev)
		enc, err := json.Marshal(fl)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-encoded filter %s does not parse: %v", enc, err)
		}
		if again.Room.Timeline.Match(ev) != fl.Room.Timeline.Match(ev) {
			t.Fatalf("re-encoded filter matches differently: %s", enc)
		}
	})
}

func FuzzGlob(f *testing.F) {
	f.Add("m.room.*", "m.room.message")
	f.Add("*a*b*c", "aabbcc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if Glob(pattern, s) != Glob(pattern, s) {
			t.Fatal("not deterministic")
		}
		if !Glob(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

func BenchmarkRoomEventMatch(b *testing.B) {
	f, err := Parse([]byte(`{"room":{"timeline":{"types":["m.room.*","org.example.*"],"not_types":["m.room.member"],"not_senders":["@spam:hs","@bot:hs"],"contains_url":false}}}`))
	if err != nil {
		b.Fatal(err)
	}
	e := Event{RoomID: "!r:hs", Sender: "@alice:hs", Type: "m.room.message"}
	for b.Loop() {
		if !f.Room.Timeline.Match(e) {
			b.Fatal("no match")
		}
	}
}
