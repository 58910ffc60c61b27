package event

import (
	"bytes"
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

// FuzzParse feeds arbitrary bytes to Parse under every room version. Parse
// must not panic, and whatever it accepts must survive a second pass: Raw
// parses again to the same ID and room ID, stays within the size limit, and
// can be redacted and hashed.
func FuzzParse(f *testing.F) {
	for i, v := range version.All() {
		f.Add(byte(i), []byte(`{}`))
		p := messageProto()
		if v.Format == version.FormatV1 {
			p.PrevEvents, p.AuthEvents = nil, nil
		}
		if ev, err := p.Build(v, "example.org", testKey(f)); err == nil {
			f.Add(byte(i), []byte(ev.Raw))
		}
	}
	versions := version.All()
	f.Fuzz(func(t *testing.T, which byte, raw []byte) {
		v := versions[int(which)%len(versions)]
		ev, err := Parse(raw, v)
		if err != nil {
			return
		}
		if len(ev.Raw) > MaxSize {
			t.Fatalf("accepted %d bytes", len(ev.Raw))
		}
		again, err := Parse(ev.Raw, v)
		if err != nil {
			t.Fatalf("Raw of an accepted event fails to parse: %v\n%s", err, ev.Raw)
		}
		if again.ID != ev.ID || again.RoomID != ev.RoomID || !bytes.Equal(again.Raw, ev.Raw) {
			t.Fatalf("second parse differs: %q %q / %q %q", ev.ID, ev.RoomID, again.ID, again.RoomID)
		}
		if ev.ID == "" || ev.Sender == "" || (ev.RoomID == "" && !v.RoomIDFromCreateEvent) {
			t.Fatalf("accepted without ID, sender or room: %+v", ev)
		}
		redacted, err := Redact(ev.Raw, v)
		if err != nil {
			t.Fatalf("Redact: %v", err)
		}
		// A redacted copy is what a server keeps when the content hash fails
		// ("Validating hashes and signatures on received events"): it must
		// still be a valid PDU with the same ID.
		red, err := Parse(redacted, v)
		if err != nil {
			t.Fatalf("redacted copy does not parse: %v\n%s", err, redacted)
		}
		if red.ID != ev.ID || red.RoomID != ev.RoomID {
			t.Fatalf("redacted copy has ID %q room %q, want %q %q", red.ID, red.RoomID, ev.ID, ev.RoomID)
		}
	})
}

// FuzzRedact runs the redaction algorithms over arbitrary JSON. Redact must
// not panic, and its output must be canonical and a fixed point.
func FuzzRedact(f *testing.F) {
	for i := range version.All() {
		f.Add(byte(i), []byte(redactionEvent(TypeMember, `{"membership":"join","third_party_invite":{"signed":{"a":1}}}`)))
		f.Add(byte(i), []byte(`{"type":"m.room.create","content":{"creator":"@a:x","x":[1,{"y":null}]}}`))
	}
	f.Add(byte(10), []byte(`{"type":"m.room.member","content":{"third_party_invite":[]}}`))
	versions := version.All()
	f.Fuzz(func(t *testing.T, which byte, raw []byte) {
		v := versions[int(which)%len(versions)]
		once, err := Redact(raw, v)
		if err != nil {
			return
		}
		twice, err := Redact(once, v)
		if err != nil {
			t.Fatalf("redacted output rejected: %v\n%s", err, once)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("not a fixed point:\n%s\n%s", once, twice)
		}
	})
}
