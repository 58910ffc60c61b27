package signing

import (
	"encoding/json"
	"testing"

	"github.com/axonhs/axon/rooms/canonical"
)

// appendices.md "Cryptographic Test Vectors": every vector uses this seed,
// server name and key ID.
const (
	specSeed       = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
	specServerName = "domain"
	specKeyID      = KeyID("ed25519:1")
)

func specKey(t testing.TB) KeyPair {
	t.Helper()
	seed, err := DecodeBase64(specSeed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := KeyFromSeed(specKeyID, seed)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// sameJSON compares two JSON texts by their canonical form.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	w, err := canonical.Canonicalize([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(w) {
		t.Errorf("got  %s\nwant %s", got, w)
	}
}

func TestSpecJSONSigning(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty object", `{}`, `{
    "signatures": {
        "domain": {
            "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
        }
    }
}`},
		{"data values", `{
    "one": 1,
    "two": "Two"
}`, `{
    "one": 1,
    "signatures": {
        "domain": {
            "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
        }
    },
    "two": "Two"
}`},
	}
	key := specKey(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SignJSON([]byte(tc.in), specServerName, key)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, tc.want)
			if err := VerifyJSON([]byte(tc.want), specServerName, specKeyID, key.Public); err != nil {
				t.Errorf("VerifyJSON(spec output) = %v", err)
			}
		})
	}
}

// The first event vector is unchanged by every redaction algorithm (it has
// only essential keys and empty content), so hashing and signing it needs
// nothing from rooms/event.
func TestSpecMinimalEventSigning(t *testing.T) {
	event := `{
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
	want := `{
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
	key := specKey(t)
	hashed, err := AddContentHash([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	got, err := SignJSON(hashed, specServerName, key)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, want)
	if err := CheckContentHash([]byte(want)); err != nil {
		t.Errorf("CheckContentHash(spec output) = %v", err)
	}
	if err := VerifyJSON([]byte(want), specServerName, specKeyID, key.Public); err != nil {
		t.Errorf("VerifyJSON(spec output) = %v", err)
	}
}

// The second event vector: the content hash covers the full event; the
// signature covers the redacted event. Redaction is rooms/event's; here the
// redacted form (content emptied, as every redaction algorithm does for
// m.room.message) is written out by hand.
func TestSpecRedactableEventSigning(t *testing.T) {
	event := `{
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
	const wantHash = "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
	const wantSignature = "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"

	hash, err := ContentHash([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if got := EncodeBase64(hash[:]); got != wantHash {
		t.Errorf("content hash = %s, want %s", got, wantHash)
	}
	redacted := `{"content":{},"event_id":"$0:domain","hashes":{"sha256":"` + wantHash + `"},` +
		`"origin":"domain","origin_server_ts":1000000,"type":"m.room.message","room_id":"!r:domain",` +
		`"sender":"@u:domain","signatures":{},"unsigned":{"age_ts":1000000}}`
	key := specKey(t)
	signed, err := SignJSON([]byte(redacted), specServerName, key)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := Signatures(signed)
	if err != nil {
		t.Fatal(err)
	}
	if got := sigs[specServerName][specKeyID]; got != wantSignature {
		t.Errorf("signature = %s, want %s", got, wantSignature)
	}
	// The full event, carrying the spec's hash and signature, verifies only
	// once redacted, and its content hash checks out.
	full := map[string]any{}
	if err := json.Unmarshal([]byte(event), &full); err != nil {
		t.Fatal(err)
	}
	full["hashes"] = map[string]string{"sha256": wantHash}
	full["signatures"] = map[string]any{specServerName: map[string]string{string(specKeyID): wantSignature}}
	fullJSON, err := canonical.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckContentHash(fullJSON); err != nil {
		t.Errorf("CheckContentHash(full) = %v", err)
	}
	if err := VerifyJSON(fullJSON, specServerName, specKeyID, key.Public); err == nil {
		t.Error("VerifyJSON accepted the unredacted event")
	}
}

func TestSpecSeedKey(t *testing.T) {
	key := specKey(t)
	// The spec's seed has non-zero trailing bits; decoding must keep the 32
	// bytes and the key must round-trip through a key file.
	if len(key.Seed()) != 32 {
		t.Fatalf("seed is %d bytes", len(key.Seed()))
	}
}
