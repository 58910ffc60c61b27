package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

// Parse enforces the counts of prev_events and auth_events;
// UnboundedReferences lifts them and nothing else.
func TestParseOptionsUnboundedReferences(t *testing.T) {
	v, _ := version.Lookup("11")
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("$e%02d%s", i, strings.Repeat("A", 40))
		}
		return out
	}
	pdu := func(prev, auth int, extra string) []byte {
		p, _ := json.Marshal(ids(prev))
		a, _ := json.Marshal(ids(auth))
		return []byte(`{"type":"m.room.message","room_id":"!r:x.org","sender":"@a:x.org","content":{},"depth":3,` +
			`"origin_server_ts":1,"prev_events":` + string(p) + `,"auth_events":` + string(a) + `,` +
			`"hashes":{"sha256":"x"},"signatures":{}` + extra + `}`)
	}
	cases := []struct {
		name           string
		raw            []byte
		strict, lenien error
	}{
		{name: "at the limits", raw: pdu(MaxPrevEvents, MaxAuthEvents, "")},
		{name: "one prev_event too many", raw: pdu(MaxPrevEvents+1, 1, ""), strict: ErrTooManyReferences},
		{name: "one auth_event too many", raw: pdu(1, MaxAuthEvents+1, ""), strict: ErrTooManyReferences},
		{name: "a hundred of each", raw: pdu(100, 100, ""), strict: ErrTooManyReferences},
		{name: "other format rules still hold", raw: pdu(30, 1, `,"event_id":"$x"`), strict: ErrUnexpectedField, lenien: ErrUnexpectedField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.raw, v)
			if !errors.Is(err, c.strict) || (c.strict == nil && err != nil) {
				t.Fatalf("Parse: %v, want %v", err, c.strict)
			}
			ev, err := ParseWith(c.raw, v, ParseOptions{UnboundedReferences: true})
			if !errors.Is(err, c.lenien) || (c.lenien == nil && err != nil) {
				t.Fatalf("ParseWith unbounded: %v, want %v", err, c.lenien)
			}
			if err == nil && len(ev.PrevEvents)+len(ev.AuthEvents) == 0 {
				t.Fatal("references not parsed")
			}
		})
	}
}
