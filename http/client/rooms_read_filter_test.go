package client

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestEventFilter(t *testing.T) {
	msg := eventHeader{Type: "m.room.message", Sender: "@a:hs", Content: json.RawMessage(`{"body":"x","url":"mxc://hs/1"}`)}
	name := eventHeader{Type: "m.room.name", Sender: "@b:hs", Content: json.RawMessage(`{"name":"n"}`)}
	for _, tc := range []struct {
		filter    string
		msg, name bool
	}{
		{``, true, true},
		{`{}`, true, true},
		{`{"types":["m.room.*"]}`, true, true},
		{`{"types":[]}`, false, false},
		{`{"types":null}`, true, true},
		{`{"not_types":["m.room.name"]}`, true, false},
		{`{"types":["m.room.*"],"not_types":["m.room.message"]}`, false, true},
		{`{"senders":["@b:hs"]}`, false, true},
		{`{"not_senders":["@b:hs"]}`, true, false},
		{`{"contains_url":true}`, true, false},
		{`{"contains_url":false}`, false, true},
		{`{"rooms":["!other:hs"]}`, false, false},
		{`{"not_rooms":["!r:hs"]}`, false, false},
	} {
		f, err := parseEventFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := f.matches("!r:hs", msg); got != tc.msg {
			t.Errorf("%s on a message: %v, want %v", tc.filter, got, tc.msg)
		}
		if got := f.matches("!r:hs", name); got != tc.name {
			t.Errorf("%s on a name event: %v, want %v", tc.filter, got, tc.name)
		}
	}
	for _, bad := range []string{`notjson`, `[1]`, `{"types":"m.room.message"}`, `{"limit":-1}`, `{"limit":"x"}`, `{`} {
		if _, err := parseEventFilter(bad); !errors.Is(err, errBadFilter) {
			t.Errorf("%s: %v, want errBadFilter", bad, err)
		}
	}
}

func TestWithoutAlias(t *testing.T) {
	for _, tc := range []struct {
		in, alias, want string
		changed         bool
	}{
		{`{"alias":"#a:hs","alt_aliases":["#b:hs"]}`, "#a:hs", `{"alt_aliases":["#b:hs"]}`, true},
		{`{"alias":"#a:hs","alt_aliases":["#b:hs","#c:hs"]}`, "#b:hs", `{"alias":"#a:hs","alt_aliases":["#c:hs"]}`, true},
		{`{"alias":"#a:hs"}`, "#z:hs", `{"alias":"#a:hs"}`, false},
		{`{"alias":"#a:hs","extra":1}`, "#a:hs", `{"extra":1}`, true},
	} {
		got, changed, err := withoutAlias(json.RawMessage(tc.in), tc.alias)
		if err != nil || changed != tc.changed || string(got) != tc.want {
			t.Errorf("withoutAlias(%s, %s) = %s, %v, %v; want %s, %v", tc.in, tc.alias, got, changed, err, tc.want, tc.changed)
		}
	}
	if _, _, err := withoutAlias(json.RawMessage(`[]`), "#a:hs"); err == nil {
		t.Error("non-object content accepted")
	}
}

func TestDirectoryToken(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		bad  bool
	}{
		{in: "", want: 0}, {in: "o0", want: 0}, {in: "o150", want: 150},
		{in: "o", bad: true}, {in: "150", bad: true}, {in: "o-1", bad: true}, {in: "o01", bad: true}, {in: "o99999999999", bad: true},
	} {
		got, err := parseDirectoryToken(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("%q: %d, %v", tc.in, got, err)
		}
		if !tc.bad && tc.in != "" && directoryToken(got) != tc.in {
			t.Errorf("%q writes back as %q", tc.in, directoryToken(got))
		}
	}
}
