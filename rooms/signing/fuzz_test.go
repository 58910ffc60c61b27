package signing

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "Zg", "Zg==", "Zm9vYmFy", "-_-_", "+/+/", "+_", "Zg=", "Zm9v\nYg", specSeed} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBase64(s)
		if err != nil {
			return
		}
		if want := len(strings.TrimRight(s, "=")) * 6 / 8; len(b) != want {
			t.Fatalf("%q decoded to %d bytes, want %d", s, len(b), want)
		}
		for _, enc := range []func([]byte) string{EncodeBase64, EncodeURLBase64} {
			back, err := DecodeBase64(enc(b))
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("%q: re-encoding does not round trip: %v", s, err)
			}
		}
	})
}

func FuzzParseKeyID(f *testing.F) {
	for _, s := range []string{"ed25519:1", "ed25519:a_AbCd", "signed_curve25519:AAAAHQ", "ed25519", ":a", "ed25519:", "ed25519:a:b", "Ed25519:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseKeyID(s)
		if err != nil {
			return
		}
		if id.Algorithm()+":"+id.Version() != s || strings.Count(s, ":") != 1 || !ValidKeyVersion(id.Version()) {
			t.Fatalf("%q accepted as %q / %q", s, id.Algorithm(), id.Version())
		}
	})
}

// FuzzSignVerify: whatever object SignJSON accepts, its output verifies,
// and is signed again to the same bytes (ed25519 is deterministic).
func FuzzSignVerify(f *testing.F) {
	for _, s := range []string{`{}`, `{"one":1,"two":"Two"}`, `{"signatures":{"x":{"ed25519:1":"c2ln"}},"unsigned":{"a":[1]}}`, `{"a":1.5,"b":-0}`, `[]`, `{"signatures":1}`} {
		f.Add([]byte(s))
	}
	key, err := KeyFromSeed(specKeyID, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, object []byte) {
		signed, err := SignJSON(object, "s", key)
		if err != nil {
			return
		}
		if err := VerifyJSON(signed, "s", key.ID, key.Public); err != nil {
			t.Fatalf("VerifyJSON(SignJSON(%q)): %v", object, err)
		}
		again, err := SignJSON(signed, "s", key)
		if err != nil || !bytes.Equal(again, signed) {
			t.Fatalf("re-signing changed %q to %q (%v)", signed, again, err)
		}
	})
}
