package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestParseJoinAnswer(t *testing.T) {
	cases := []struct {
		name         string
		body         string
		state, chain []string
		event        string
		omitted      bool
		servers      []string
		wantErr      bool
	}{
		{name: "full", body: `{"origin":"res.example","state":[{"a":1},{"b":"x,y]}"}],"auth_chain":[{"c":[1,{"d":"\"]"}]}],"event":{"e":true}}`,
			state: []string{`{"a":1}`, `{"b":"x,y]}"}`}, chain: []string{`{"c":[1,{"d":"\"]"}]}`}, event: `{"e":true}`},
		{name: "spaces", body: " {\n \"state\" : [ {\"a\" : 1} ,\t{ } ] , \"auth_chain\" : [ ] } \n", state: []string{`{"a" : 1}`, `{ }`}},
		{name: "partial", body: `{"state":[],"auth_chain":null,"members_omitted":true,"servers_in_room":["a.example","b.example"]}`,
			omitted: true, servers: []string{"a.example", "b.example"}},
		{name: "null event", body: `{"state":[{"a":1}],"event":null}`, state: []string{`{"a":1}`}},
		{name: "not an object", body: `[{"state":[]}]`, wantErr: true},
		{name: "truncated", body: `{"state":[{"a":1},{"b":`, wantErr: true},
		{name: "state not an array", body: `{"state":{"a":1}}`, wantErr: true},
		{name: "members_omitted not a boolean", body: `{"state":[],"members_omitted":"yes"}`, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := parseJoinAnswer([]byte(c.body))
			if c.wantErr {
				if !errors.Is(err, ErrBadJoinAnswer) {
					t.Fatalf("got %v, want ErrBadJoinAnswer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			same := func(what string, got []json.RawMessage, want []string) {
				if len(got) != len(want) {
					t.Fatalf("%s: %d elements %q, want %q", what, len(got), got, want)
				}
				for i := range want {
					if string(got[i]) != want[i] {
						t.Errorf("%s[%d] = %s, want %s", what, i, got[i], want[i])
					}
				}
			}
			same("state", a.State, c.state)
			same("auth_chain", a.AuthChain, c.chain)
			if string(a.Event) != c.event || a.MembersOmitted != c.omitted || len(a.ServersInRoom) != len(c.servers) {
				t.Fatalf("event %s, omitted %v, servers %v", a.Event, a.MembersOmitted, a.ServersInRoom)
			}
		})
	}
}

// FuzzParseJoinAnswer: whatever a resident server answers, parsing gives
// an error or elements that are each valid JSON and that, put back into
// an array, are the array the answer held.
func FuzzParseJoinAnswer(f *testing.F) {
	f.Add([]byte(`{"state":[{"a":1},{"b":"x,y]}"}],"auth_chain":[{"c":[1,{"d":"\"]"}]}],"event":{"e":true}}`))
	f.Add([]byte(`{"state":[],"auth_chain":null,"members_omitted":true,"servers_in_room":["a.example"]}`))
	f.Add([]byte(" {\"state\" : [ 1 , \"\\\\\" ,[ ] ] } "))
	f.Add([]byte(`{"state":[{"a":1},{"b":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseJoinAnswer(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var whole struct {
			State     json.RawMessage `json:"state"`
			AuthChain json.RawMessage `json:"auth_chain"`
		}
		if json.Unmarshal(body, &whole) != nil {
			return // a member encoding/json reads differently (case-insensitive keys)
		}
		for _, pair := range []struct {
			parts []json.RawMessage
			whole json.RawMessage
		}{{a.State, whole.State}, {a.AuthChain, whole.AuthChain}} {
			for _, p := range pair.parts {
				if !json.Valid(p) {
					t.Fatalf("element %q of %q is not JSON", p, body)
				}
			}
			if pair.whole == nil || string(pair.whole) == "null" {
				continue
			}
			joined := []byte("[")
			for i, p := range pair.parts {
				if i > 0 {
					joined = append(joined, ',')
				}
				joined = append(joined, p...)
			}
			var got, want bytes.Buffer
			_ = json.Compact(&got, append(joined, ']'))
			_ = json.Compact(&want, pair.whole)
			if got.String() != want.String() {
				t.Fatalf("split %q into %q", pair.whole, pair.parts)
			}
		}
	})
}
