package event

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/version"
)

// benchProto is an m.room.message of about 1 KB of canonical JSON in a
// room version 11 room, as a client would send one.
func benchProto(b *testing.B) (*Proto, version.Spec) {
	b.Helper()
	body := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 5)
	content := `{"msgtype":"m.text","body":"` + body + `","format":"org.matrix.custom.html",` +
		`"formatted_body":"<p>` + body[:150] + `</p>","m.mentions":{"user_ids":["@bob:example.org"]}}`
	p := &Proto{
		RoomID: "!OGEhHVWSdvArJzumhm:example.org", Type: "m.room.message", Sender: "@alice:example.org",
		Content:    []byte(content),
		PrevEvents: []string{"$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"},
		AuthEvents: []string{"$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o", "$acR1l0raoZnm60CBwAVgqbZqoO_mYU81xysh1u7XcJk",
			"$Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ"},
		Depth: 1234, OriginServerTS: 1700000000000,
	}
	return p, mustVersion(b, "11")
}

func BenchmarkBuildSignedEvent(b *testing.B) {
	p, v := benchProto(b)
	key := testKey(b)
	ev, err := p.Build(v, "example.org", key)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Build(v, "example.org", key); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ev.Raw)), "event-bytes")
}

// BenchmarkEd25519Sign is the floor for BenchmarkBuildSignedEvent: one bare
// ed25519 signature over the canonical bytes of the same built event.
func BenchmarkEd25519Sign(b *testing.B) {
	p, v := benchProto(b)
	key := testKey(b)
	ev, err := p.Build(v, "example.org", key)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(ev.Raw)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(key.Private, msg)
	}
	b.ReportMetric(float64(len(msg)), "signed-bytes")
}

// BenchmarkEd25519SignRedacted signs only what Build signs: the redacted
// event without signatures.
func BenchmarkEd25519SignRedacted(b *testing.B) {
	p, v := benchProto(b)
	key := testKey(b)
	ev, err := p.Build(v, "example.org", key)
	if err != nil {
		b.Fatal(err)
	}
	members, err := canonical.Members(ev.Raw)
	if err != nil {
		b.Fatal(err)
	}
	kept, err := redactMembers(members, v, true)
	if err != nil {
		b.Fatal(err)
	}
	msg := canonical.AppendObject(nil, kept)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(key.Private, msg)
	}
	b.ReportMetric(float64(len(msg)), "signed-bytes")
}

// BenchmarkVerifyEvent checks an incoming event's content hash and its
// origin's signature, as "Validating hashes and signatures on received
// events" asks.
func BenchmarkVerifyEvent(b *testing.B) {
	p, v := benchProto(b)
	key := testKey(b)
	ev, err := p.Build(v, "example.org", key)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := CheckContentHash(ev.Raw); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if err := VerifyEventSignature(ev.Raw, v, "example.org", key.ID, key.Public); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	p, v := benchProto(b)
	ev, err := p.Build(v, "example.org", testKey(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(ev.Raw, v); err != nil {
			b.Fatal(err)
		}
	}
}
