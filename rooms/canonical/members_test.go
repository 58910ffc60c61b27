package canonical

import (
	"errors"
	"testing"
)

func TestMembers(t *testing.T) {
	in := []byte(` { "b" : [1, {"x":2}] , "a\u0041" : "s" , "c":{}, "b": null } `)
	got, err := Members(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{"b", []byte(`[1, {"x":2}]`)},
		{"aA", []byte(`"s"`)},
		{"c", []byte(`{}`)},
		{"b", []byte(`null`)},
	}
	if len(got) != len(want) {
		t.Fatalf("Members = %d members, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || string(got[i].Value) != string(want[i].Value) {
			t.Errorf("member %d = %q:%s, want %q:%s", i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
		}
	}
	if got, _ := Members([]byte(`{}`)); len(got) != 0 {
		t.Errorf("Members({}) = %v", got)
	}
}

func TestMembersRejects(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"array", `[1]`, ErrNotObject},
		{"string", `"a"`, ErrNotObject},
		{"empty", ``, ErrNotObject},
		{"trailing data", `{"a":1} 1`, ErrSyntax},
		{"bad value", `{"a":tru}`, ErrSyntax},
		{"bad nested value", `{"a":{"b":[1,]}}`, ErrSyntax},
		{"lone surrogate in value", `{"a":"\ud800"}`, ErrLoneSurrogate},
		{"invalid UTF-8 in key", "{\"\xff\":1}", ErrInvalidUTF8},
		{"missing comma", `{"a":1 "b":2}`, ErrSyntax},
		{"bad number", `{"a":01}`, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Members([]byte(tc.in)); !errors.Is(err, tc.want) {
				t.Errorf("Members(%q) error = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestAppendObject(t *testing.T) {
	tests := []struct {
		name    string
		members []Member
		want    string
	}{
		{"empty", nil, `{}`},
		{"sorted by code point", []Member{{"😀", []byte(`1`)}, {"｡", []byte(`2`)}, {"A", []byte(`3`)}}, `{"A":3,"｡":2,"😀":1}`},
		{"key escaped", []Member{{"a\"b\x01", []byte(`null`)}}, `{"a\"b\u0001":null}`},
		{"last duplicate wins", []Member{{"k", []byte(`1`)}, {"j", []byte(`0`)}, {"k", []byte(`2`)}}, `{"j":0,"k":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AppendObject(nil, tc.members); string(got) != tc.want {
				t.Errorf("AppendObject = %s, want %s", got, tc.want)
			}
		})
	}
}

// Splitting a canonical object and joining it again gives the same bytes.
func TestMembersRoundTrip(t *testing.T) {
	canon, err := Canonicalize([]byte(`{"z":1,"a":{"q":[1,2]},"m":"\u0000x"}`))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Members(canon)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendObject(nil, ms); string(got) != string(canon) {
		t.Errorf("round trip = %s, want %s", got, canon)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"tab\tquote\"back\\", `"tab\tquote\"back\\"`},
		{"\x00\x1f\x7f", "\"\\u0000\\u001f\x7f\""},
		{"日本", `"日本"`},
		{"bad\xffbyte", "\"bad\uFFFDbyte\""},
	}
	for _, tc := range tests {
		if got := AppendString(nil, tc.in); string(got) != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValid(t *testing.T) {
	for in, want := range map[string]bool{
		`{"a":[1,2.5e3,"x",null,true,false]}`: true,
		` 1 `:                                 true,
		`{"a":}`:                              false,
		`[1] [2]`:                             false,
		`"\ud800"`:                            false,
	} {
		if got := Valid([]byte(in)); got != want {
			t.Errorf("Valid(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{in: `"abc"`, want: "abc"},
		{in: ` "a\"\u00e9\ud83d\ude00" `, want: "a\"é😀"},
		{in: `""`, want: ""},
		{in: `1`, err: ErrNotString},
		{in: `{"a":1}`, err: ErrNotString},
		{in: `"abc`, err: ErrSyntax},
		{in: `"a" "b"`, err: ErrSyntax},
		{in: `"\udc00"`, err: ErrLoneSurrogate},
	}
	for _, tc := range tests {
		got, err := Unquote([]byte(tc.in))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Unquote(%s) error = %v, want %v", tc.in, err, tc.err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
