package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
)

// withReferences re-signs a copy of ev that cites prev prev_events and
// auth auth_events: ev's own, then made-up IDs up to the counts.
func (r *backfillRoom) withReferences(t *testing.T, ev *event.Event, prev, auth int) json.RawMessage {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(ev.Raw, &obj); err != nil {
		t.Fatal(err)
	}
	pad := func(ids []string, n int, tag string) []string {
		out := append([]string(nil), ids...)
		for i := len(out); i < n; i++ {
			out = append(out, fmt.Sprintf("$%s%02d%s", tag, i, strings.Repeat("A", 39)))
		}
		return out
	}
	obj["prev_events"] = pad(ev.PrevEvents, prev, "pv")
	obj["auth_events"] = pad(ev.AuthEvents, auth, "au")
	delete(obj, "hashes")
	delete(obj, "signatures")
	raw, _ := json.Marshal(obj)
	raw, err := signing.AddContentHash(raw)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err = event.SignEvent(raw, r.v, "old.example", r.key); err != nil {
		t.Fatal(err)
	}
	return raw
}

// The count limits on prev_events (20) and auth_events (10) hold for a
// PDU received any other way, and are not applied to a /backfill answer
// (backfill.yaml: "the response of backfill MUST NOT be validated on these
// specific restrictions").
func TestBackfillIgnoresReferenceLimits(t *testing.T) {
	r := newBackfillRoom(t)
	cases := []struct {
		name       string
		prev, auth int
		pduRefused bool
		backfilled bool
	}{
		{name: "within the limits", prev: 20, auth: 3, backfilled: true},
		{name: "21 prev_events", prev: 21, auth: 3, pduRefused: true, backfilled: true},
		{name: "11 auth_events, 8 of them unknown", prev: 1, auth: 11, pduRefused: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := r.withReferences(t, r.msgs[0], c.prev, c.auth)
			_, err := federation.CheckPDU(context.Background(), r.kr, raw, r.v)
			// CheckPDU keeps the parser's reason as text under ErrBadPDU.
			tooMany := errors.Is(err, federation.ErrBadPDU) && strings.Contains(err.Error(), event.ErrTooManyReferences.Error())
			if c.pduRefused != tooMany || (!c.pduRefused && err != nil) {
				t.Fatalf("CheckPDU: %v, want refused for the counts: %v", err, c.pduRefused)
			}
			res, err := federation.CheckBackfill(context.Background(), r.kr, "!h:old.example", r.v, r.create,
				[]json.RawMessage{raw}, held(r.create, r.member, r.pl))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Accepted) == 1; got != c.backfilled {
				t.Fatalf("backfilled accepted: %v, want %v (refused %v)", got, c.backfilled, res.Refused)
			}
			for id, err := range res.Refused {
				if errors.Is(err, federation.ErrBadPDU) {
					t.Fatalf("%s refused for its format: %v", id, err)
				}
			}
		})
	}
}
