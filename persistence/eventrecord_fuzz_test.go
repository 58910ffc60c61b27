package persistence

import (
	"bytes"
	"testing"
)

// FuzzDecodeEvent: a stored event record either decodes or is ErrCorrupt,
// never a panic, and whatever decodes encodes back to the same bytes.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(StoredEvent{NID: 1, Stream: 2, Depth: 3, RoomID: "!r:x", EventID: "$e", RoomVersion: "11", Raw: []byte(`{}`)}))
	f.Add(encodeEvent(StoredEvent{Depth: -5, Redacted: true, Outcome: OutcomeRejected}))
	f.Add(encodeEvent(StoredEvent{NID: 9, Outlier: true, Outcome: OutcomeSoftFailed, RoomID: "!r:x", EventID: "$o"}))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEvent(b)
		if err != nil {
			return
		}
		if again := encodeEvent(e); !bytes.Equal(again, b) {
			t.Fatalf("round trip %x → %+v → %x", b, e, again)
		}
	})
}
