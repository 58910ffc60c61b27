package event

import (
	"bytes"
	"testing"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// The inputs and outputs below are copied verbatim from appendices.md
// "Cryptographic Test Vectors", "Event Signing".

const specSeed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"

const specMinimalEvent = `{
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "signatures": {},
    "hashes": {},
    "type": "X",
    "content": {},
    "prev_events": [],
    "auth_events": [],
    "depth": 3,
    "unsigned": {
        "age_ts": 1000000
    }
}`

const specMinimalEventSigned = `{
    "auth_events": [],
    "content": {},
    "depth": 3,
    "hashes": {
        "sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "prev_events": [],
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
        }
    },
    "type": "X",
    "unsigned": {
        "age_ts": 1000000
    }
}`

const specRedactableEvent = `{
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {},
    "unsigned": {
        "age_ts": 1000000
    }
}`

const specRedactableEventSigned = `{
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "hashes": {
        "sha256": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"
        }
    },
    "unsigned": {
        "age_ts": 1000000
    }
}`

func specKey(t testing.TB) signing.KeyPair {
	t.Helper()
	seed, err := signing.DecodeBase64(specSeed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.KeyFromSeed("ed25519:1", seed)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func mustVersion(t testing.TB, id version.ID) version.Spec {
	t.Helper()
	v, err := version.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustCanonical(t testing.TB, s string) []byte {
	t.Helper()
	b, err := canonical.Canonicalize([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecEventSigningVectors signs the two events of the appendix and
// expects the exact hashes and signatures given there. The vectors keep the
// top-level origin under redaction, so they hold for the redaction
// algorithms of room versions 1 to 10; v11 stopped protecting origin.
func TestSpecEventSigningVectors(t *testing.T) {
	key := specKey(t)
	cases := []struct{ name, in, want string }{
		{"minimal", specMinimalEvent, specMinimalEventSigned},
		{"redactable", specRedactableEvent, specRedactableEventSigned},
	}
	for _, c := range cases {
		for _, id := range []version.ID{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"} {
			t.Run(c.name+"/v"+string(id), func(t *testing.T) {
				v := mustVersion(t, id)
				got, err := SignEvent([]byte(c.in), v, "domain", key)
				if err != nil {
					t.Fatal(err)
				}
				if want := mustCanonical(t, c.want); !bytes.Equal(got, want) {
					t.Errorf("SignEvent\n got %s\nwant %s", got, want)
				}
				ok, err := CheckContentHash(got)
				if err != nil || !ok {
					t.Errorf("CheckContentHash(signed) = %v, %v; want true", ok, err)
				}
				if err := VerifyEventSignature([]byte(c.want), v, "domain", key.ID, key.Public); err != nil {
					t.Errorf("VerifyEventSignature(spec output): %v", err)
				}
			})
		}
	}
}

// TestSpecVectorsUnderV11 shows the v11 redaction change at work: origin is
// no longer covered, so the minimal event's signature differs from the
// appendix, while the content hash (which covers everything) does not.
func TestSpecVectorsUnderV11(t *testing.T) {
	key := specKey(t)
	v := mustVersion(t, "11")
	got, err := SignEvent([]byte(specMinimalEvent), v, "domain", key)
	if err != nil {
		t.Fatal(err)
	}
	want := mustCanonical(t, specMinimalEventSigned)
	if bytes.Equal(got, want) {
		t.Fatal("v11 signature equals the v1 one although origin is no longer protected")
	}
	if !bytes.Contains(got, []byte(`"sha256":"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"`)) {
		t.Errorf("content hash changed under v11: %s", got)
	}
	if err := VerifyEventSignature(got, v, "domain", key.ID, key.Public); err != nil {
		t.Errorf("VerifyEventSignature: %v", err)
	}
	if err := VerifyEventSignature(want, v, "domain", key.ID, key.Public); err == nil {
		t.Error("the v1 signature verified under v11 redaction rules")
	}
}
