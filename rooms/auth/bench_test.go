package auth

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/event"
)

// benchRoom is a v11 room with 50 joined users, each listed in
// power_levels, a public join rule and the usual state of a busy room.
func benchRoom(b testing.TB) *room {
	r := newRoom(b, "11")
	var users strings.Builder
	fmt.Fprintf(&users, "%q:100", alice)
	for i := 0; i < 50; i++ {
		u := fmt.Sprintf("@user%02d:server%d.example", i, i%7)
		fmt.Fprintf(&users, ",%q:%d", u, i%3*25)
		r.put(r.member(u, u, "join", fmt.Sprintf(`"displayname":"User %d","avatar_url":"mxc://server.example/%d"`, i, i)))
	}
	r.setPowerLevels(fmt.Sprintf(`{"ban":50,"kick":50,"redact":50,"invite":0,"events_default":0,"state_default":50,"users_default":0,
		"events":{"m.room.name":50,"m.room.power_levels":100,"m.room.history_visibility":100,"m.room.canonical_alias":50,"m.room.avatar":50,"m.room.tombstone":100,"m.room.server_acl":100,"m.room.encryption":100},
		"notifications":{"room":50},"users":{%s}}`, users.String()))
	r.setJoinRule("public")
	r.put(r.ev(event.TypeHistoryVisibility, sk(""), alice, `{"history_visibility":"shared"}`))
	r.put(r.ev(event.TypeName, sk(""), alice, `{"name":"Benchmark room"}`))
	return r
}

// BenchmarkAllowedMessage checks a message; "cached" is the steady state
// of a room, "uncached" parses the power levels every time (the first
// event after a power-levels change).
func BenchmarkAllowedMessage(b *testing.B) {
	r := benchRoom(b)
	ev := r.ev("m.room.message", nil, "@user07:server0.example", `{"msgtype":"m.text","body":"hello, this is a fairly ordinary chat message"}`)
	if err := Allowed(ev, r.state); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := Allowed(ev, r.state); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			forgetPowerLevels()
			if err := Allowed(ev, r.state); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// forgetPowerLevels empties the parsed power-levels cache.
func forgetPowerLevels() {
	plCache.Lock()
	clear(plCache.m)
	plCache.Unlock()
}

func BenchmarkAllowedJoin(b *testing.B) {
	r := benchRoom(b)
	ev := r.member("@newcomer:elsewhere.example", "@newcomer:elsewhere.example", "join", `"displayname":"Newcomer"`)
	if err := Allowed(ev, r.state); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Allowed(ev, r.state); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePowerLevels parses the 50-user power levels of benchRoom,
// the work a cache miss costs.
func BenchmarkParsePowerLevels(b *testing.B) {
	r := benchRoom(b)
	content := r.state[keyPowerLevels].Content
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePowerLevels(r.v, content); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSigningServers lists the signers of a signed member event by
// splitting the object, beside decoding it with encoding/json as the
// listing used to.
func BenchmarkSigningServers(b *testing.B) {
	raw := []byte(`{"auth_events":["$a","$b","$c"],"content":{"avatar_url":"mxc://server.example/abc","displayname":"Some User","membership":"join"},"depth":12345,"hashes":{"sha256":"Yfl3ah0D34XdR8MAc/RWz7oY8qJyJ2g4wjvdJcrXBtI"},"origin_server_ts":1700000000000,"prev_events":["$d"],"room_id":"!room:server.example","sender":"@user:server.example","signatures":{"server.example":{"ed25519:a_key":"a6Ggv7qbcXo0aRtKgDUTs7Y/rMTHQCBv8ugmF1n/S2RfuJtCzJdUTu0vHubvMjWO/dw5uvtMXDhPVF1PhBbBBA"}},"state_key":"@user:server.example","type":"m.room.member","unsigned":{"age_ts":1700000000000}}`)
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			if len(signingServers(raw)) != 1 {
				b.Fatal("no signer")
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			var p struct {
				Signatures map[string]json.RawMessage `json:"signatures"`
			}
			if json.Unmarshal(raw, &p) != nil || len(p.Signatures) != 1 {
				b.Fatal("no signer")
			}
		}
	})
}
