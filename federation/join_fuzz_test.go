package federation

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// FuzzMembershipTemplate feeds make_join/make_leave/make_knock templates
// to the builder: whatever a remote server answers, the result is an
// error or a signed event of the user asked for, in the room asked for,
// with the membership asked for.
func FuzzMembershipTemplate(f *testing.F) {
	key, err := signing.KeyFromSeed("ed25519:f", make([]byte, ed25519.SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	h := &Handshake{ServerName: "join.example", Key: key, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }}
	f.Add([]byte(`{"room_id":"!r:res.example","type":"m.room.member","state_key":"@j:join.example","sender":"@j:join.example","content":{"membership":"join"},"prev_events":["$a"],"auth_events":["$b","$c"],"depth":5}`), "11")
	f.Add([]byte(`{"room_id":"!r:res.example","type":"m.room.member","state_key":"@j:join.example","sender":"@j:join.example","content":{"membership":"join"},"prev_events":[["$a:res.example",{"sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}]],"auth_events":[],"depth":2}`), "1")
	f.Add([]byte(`{"room_id":"!r:res.example","content":{"membership":"leave"}}`), "10")
	f.Add([]byte(`[]`), "12")
	f.Fuzz(func(t *testing.T, raw []byte, ver string) {
		v, err := version.Lookup(version.ID(ver))
		if err != nil {
			return
		}
		ev, err := h.build(raw, v, "!r:res.example", "@j:join.example", event.MembershipJoin, map[string]any{"displayname": "J"})
		if err != nil {
			return
		}
		if ev.RoomID != "!r:res.example" || ev.Sender != "@j:join.example" || ev.StateKey == nil || *ev.StateKey != ev.Sender || membershipOf(ev) != event.MembershipJoin {
			t.Fatalf("built %s", ev.Raw)
		}
		if _, err := event.Parse(ev.Raw, v); err != nil {
			t.Fatalf("built event does not parse: %v", err)
		}
	})
}
