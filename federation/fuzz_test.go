package federation

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/axonhs/axon/rooms/signing"
)

func FuzzParseKeyResponse(f *testing.F) {
	key, err := signing.KeyFromSeed("ed25519:f", make([]byte, ed25519.SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	p := NewPublisher("fuzz.example", key, []RetiredKey{{ID: "ed25519:old", Public: key.Public, ExpiredTS: 5}}, time.Hour,
		func() time.Time { return time.Unix(1_700_000_000, 0) })
	resp, _, err := p.Response()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(resp)
	f.Add([]byte(`{"server_name":"fuzz.example","verify_keys":{"ed25519:a":{"key":"AAAA"}},"signatures":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ParseKeyResponse(raw, "fuzz.example")
		if err != nil {
			return
		}
		if r.ServerName != "fuzz.example" || len(r.VerifyKeys) == 0 {
			t.Fatalf("accepted a response with no verify key that signed it: %s", raw)
		}
		for id, pub := range r.VerifyKeys {
			if len(pub) != ed25519.PublicKeySize {
				t.Fatalf("key %s has %d bytes", id, len(pub))
			}
		}
	})
}

func FuzzParseWellKnown(f *testing.F) {
	for _, s := range []string{`{"m.server":"fed.example:443"}`, `{"m.server":"[::1]"}`, `{"m.server":1}`, `{}`, `nope`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		server, err := parseWellKnown(body)
		if err == nil && server == "" {
			t.Fatalf("accepted %q with no server", body)
		}
	})
}
