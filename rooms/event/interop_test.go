package event

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// interopFixture is an event hashed and signed by another Matrix
// implementation (mautrix-go's federation/pdu package), with the event ID
// and room ID that implementation computed for it.
type interopFixture struct {
	RoomVersion version.ID      `json:"room_version"`
	EventID     string          `json:"event_id"`
	RoomID      string          `json:"room_id"`
	ServerName  string          `json:"server_name"`
	KeyID       signing.KeyID   `json:"key_id"`
	PublicKey   string          `json:"public_key"`
	Event       json.RawMessage `json:"event"`
}

// TestInteropFixtures parses events made elsewhere: the IDs must match the
// other implementation's and the hashes and signatures must verify.
func TestInteropFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "interop", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var f interopFixture
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			v := mustVersion(t, f.RoomVersion)
			ev, err := Parse(f.Event, v)
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != f.EventID {
				t.Errorf("ID %q, want %q", ev.ID, f.EventID)
			}
			if f.RoomID != "" && ev.RoomID != f.RoomID {
				t.Errorf("RoomID %q, want %q", ev.RoomID, f.RoomID)
			}
			public, err := signing.DecodeBase64(f.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyEventSignature(ev.Raw, v, f.ServerName, f.KeyID, public); err != nil {
				t.Errorf("signature: %v", err)
			}
			if ok, err := CheckContentHash(ev.Raw); !ok || err != nil {
				t.Errorf("content hash: %v, %v", ok, err)
			}
		})
	}
}
