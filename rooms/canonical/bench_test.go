package canonical

import (
	"encoding/json"
	"os"
	"testing"
)

// benchInputs are a realistic ~1 KB m.room.message PDU with hashes,
// signatures and unsigned: as received (keys in sender order) and already
// canonical (as stored).
func benchInputs(b *testing.B) map[string][]byte {
	raw, err := os.ReadFile("testdata/message_event.json")
	if err != nil {
		b.Fatal(err)
	}
	canon, err := Canonicalize(raw)
	if err != nil {
		b.Fatal(err)
	}
	return map[string][]byte{"unsorted": raw, "canonical": canon}
}

// BenchmarkCanonicalize compares the scanner with the reflection round trip
// through encoding/json (whose output is not even canonical: it escapes
// <, > and &), on the same inputs in the same run.
func BenchmarkCanonicalize(b *testing.B) {
	for _, input := range []string{"unsorted", "canonical"} {
		data := benchInputs(b)[input]
		b.Run("scanner/"+input, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Canonicalize(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("scanner-strict/"+input, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CanonicalizeStrict(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encoding-json/"+input, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMembersAppendObject(b *testing.B) {
	data := benchInputs(b)["canonical"]
	b.ReportAllocs()
	buf := make([]byte, 0, len(data))
	for b.Loop() {
		members, err := Members(data)
		if err != nil {
			b.Fatal(err)
		}
		kept := members[:0]
		for _, m := range members {
			if m.Key != "signatures" && m.Key != "unsigned" {
				kept = append(kept, m)
			}
		}
		buf = AppendObject(buf[:0], kept)
	}
}
