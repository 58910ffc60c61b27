package signing

import (
	"crypto/ed25519"
	"os"
	"testing"

	"github.com/axonhs/axon/rooms/canonical"
)

// benchEvent is a realistic ~1 KB m.room.message PDU in canonical form,
// with hashes, signatures and unsigned.
func benchEvent(b *testing.B) []byte {
	raw, err := os.ReadFile("testdata/message_event.json")
	if err != nil {
		b.Fatal(err)
	}
	canon, err := canonical.Canonicalize(raw)
	if err != nil {
		b.Fatal(err)
	}
	return canon
}

// BenchmarkEd25519SignRaw is the floor for BenchmarkSignJSON: a bare
// ed25519.Sign of the same canonical event bytes.
func BenchmarkEd25519SignRaw(b *testing.B) {
	event, key := benchEvent(b), specKey(b)
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(key.Private, event)
	}
}

func BenchmarkSignJSON(b *testing.B) {
	event, key := benchEvent(b), specKey(b)
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignJSON(event, "example.org", key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyJSON(b *testing.B) {
	key := specKey(b)
	event, err := SignJSON(benchEvent(b), "example.org", key)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyJSON(event, "example.org", key.ID, key.Public); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkContentHash(b *testing.B) {
	event := benchEvent(b)
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ContentHash(event); err != nil {
			b.Fatal(err)
		}
	}
}
