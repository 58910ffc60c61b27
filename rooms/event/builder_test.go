package event

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// countingReader is a deterministic randomness source.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func testKey(t testing.TB) signing.KeyPair {
	t.Helper()
	key, err := signing.KeyFromSeed("ed25519:a_1", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func messageProto() *Proto {
	return &Proto{
		RoomID: "!room:example.org", Type: "m.room.message", Sender: "@alice:example.org",
		Content:    []byte(`{ "msgtype": "m.text", "body": "hello" }`),
		PrevEvents: []string{"$prev"}, AuthEvents: []string{"$create", "$pl", "$member"},
		Depth: 5, OriginServerTS: 1700000000000,
		Unsigned: []byte(`{"transaction_id":"t1"}`),
	}
}

// TestBuildRoundTrip builds an event in every room version and checks that
// Parse of its Raw gives the same event, that its content hash and
// signature verify, and that its ID follows the version's scheme.
func TestBuildRoundTrip(t *testing.T) {
	key := testKey(t)
	for _, v := range version.All() {
		t.Run("v"+string(v.ID), func(t *testing.T) {
			p := messageProto()
			p.Rand = &countingReader{}
			if v.Format == version.FormatV1 {
				p.PrevEvents, p.AuthEvents = []string{"$prev:example.org"}, []string{"$create:example.org"}
				p.ReferenceHashes = map[string][32]byte{"$prev:example.org": {1, 2, 3}, "$create:example.org": {4}}
			}
			built, err := p.Build(v, "example.org", key)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(built.Raw, v)
			if err != nil {
				t.Fatalf("Parse(Build()): %v\n%s", err, built.Raw)
			}
			assertSameEvent(t, built, parsed)
			if ok, err := CheckContentHash(built.Raw); !ok || err != nil {
				t.Errorf("CheckContentHash = %v, %v", ok, err)
			}
			if err := VerifyEventSignature(built.Raw, v, "example.org", key.ID, key.Public); err != nil {
				t.Errorf("VerifyEventSignature: %v", err)
			}
			switch v.Format {
			case version.FormatV1:
				if !strings.HasSuffix(built.ID, ":example.org") || len(built.ID) != 1+opaqueIDLength+len(":example.org") {
					t.Errorf("v1 ID %q", built.ID)
				}
				if !bytes.Contains(built.Raw, []byte(`"prev_events":[["$prev:example.org",{"sha256":"AQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]]`)) ||
					!bytes.Contains(built.Raw, []byte(`"auth_events":[["$create:example.org",{"sha256":"BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]]`)) {
					t.Errorf("v1 references not written as pairs: %s", built.Raw)
				}
			default:
				if id, _ := EventIDFor(built.Raw, v); id != built.ID {
					t.Errorf("ID %q, EventIDFor %q", built.ID, id)
				}
				if bytes.Contains(built.Raw, []byte(`"event_id"`)) {
					t.Errorf("event_id written in a hash-ID version: %s", built.Raw)
				}
			}
		})
	}
}

func assertSameEvent(t *testing.T, a, b *Event) {
	t.Helper()
	sk := func(e *Event) string {
		if e.StateKey == nil {
			return "<nil>"
		}
		return *e.StateKey
	}
	if a.ID != b.ID || a.RoomID != b.RoomID || a.Type != b.Type || sk(a) != sk(b) || a.Sender != b.Sender ||
		a.Origin != b.Origin || !bytes.Equal(a.Content, b.Content) || !equalStrings(a.PrevEvents, b.PrevEvents) ||
		!equalStrings(a.AuthEvents, b.AuthEvents) || a.Depth != b.Depth || a.OriginServerTS != b.OriginServerTS ||
		a.Redacts != b.Redacts || !bytes.Equal(a.Unsigned, b.Unsigned) || a.Version != b.Version || !bytes.Equal(a.Raw, b.Raw) {
		t.Errorf("events differ:\n%+v\n%+v", a, b)
	}
}

func TestBuildV1IDsUseTheRandomnessSource(t *testing.T) {
	v := mustVersion(t, "1")
	build := func(seed byte) string {
		p := messageProto()
		p.PrevEvents, p.AuthEvents = nil, nil
		p.Rand = &countingReader{next: seed}
		ev, err := p.Build(v, "example.org", testKey(t))
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	if a, b := build(0), build(0); a != b {
		t.Errorf("same randomness, different IDs %q %q", a, b)
	}
	if a, b := build(0), build(1); a == b {
		t.Errorf("different randomness, same ID %q", a)
	}
	p := messageProto()
	p.Rand = strings.NewReader("short")
	p.PrevEvents, p.AuthEvents = nil, nil
	if _, err := p.Build(v, "example.org", testKey(t)); !errors.Is(err, ErrInvalidProto) {
		t.Errorf("exhausted randomness: error %v", err)
	}
	p = messageProto()
	p.PrevEvents, p.AuthEvents = []string{"$a:example.org"}, nil
	if _, err := p.Build(v, "example.org", testKey(t)); !errors.Is(err, ErrInvalidProto) {
		t.Errorf("v1 reference without its hash: error %v", err)
	}
}

func TestBuildRedaction(t *testing.T) {
	key := testKey(t)
	for _, id := range []version.ID{"10", "11"} {
		v := mustVersion(t, id)
		p := messageProto()
		p.Type, p.Redacts, p.Content = TypeRedaction, "$target", []byte(`{"reason":"spam"}`)
		ev, err := p.Build(v, "example.org", key)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Redacts != "$target" {
			t.Errorf("v%s: Redacts %q", id, ev.Redacts)
		}
		inContent := bytes.Contains(ev.Content, []byte(`"redacts":"$target"`))
		top, err := objectMembers(ev.Raw, "event")
		if err != nil {
			t.Fatal(err)
		}
		topLevel := member(top, "redacts") != nil
		if v.RedactsInContent != inContent || v.RedactsInContent == topLevel {
			t.Errorf("v%s: redacts in content %v, top level %v: %s", id, inContent, topLevel, ev.Raw)
		}
		parsed, err := Parse(ev.Raw, v)
		if err != nil {
			t.Fatal(err)
		}
		assertSameEvent(t, ev, parsed)
		// The v11 redaction algorithm keeps content.redacts, so the ID of a
		// redacted redaction still commits to its target.
		redacted, err := Redact(ev.Raw, v)
		if err != nil {
			t.Fatal(err)
		}
		if v.RedactsInContent && !bytes.Contains(redacted, []byte(`"content":{"redacts":"$target"}`)) {
			t.Errorf("v%s redaction lost redacts: %s", id, redacted)
		}
	}
}

func TestBuildV12Create(t *testing.T) {
	v := mustVersion(t, "12")
	sk := ""
	p := &Proto{Type: TypeCreate, StateKey: &sk, Sender: "@alice:example.org",
		Content: []byte(`{"room_version":"12"}`), Depth: 1, OriginServerTS: 1}
	ev, err := p.Build(v, "example.org", testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if ev.RoomID != "!"+ev.ID[1:] || bytes.Contains(ev.Raw, []byte(`"room_id"`)) {
		t.Errorf("RoomID %q ID %q raw %s", ev.RoomID, ev.ID, ev.Raw)
	}
	parsed, err := Parse(ev.Raw, v)
	if err != nil {
		t.Fatal(err)
	}
	assertSameEvent(t, ev, parsed)

	p.RoomID = "!room:example.org"
	if _, err := p.Build(v, "example.org", testKey(t)); !errors.Is(err, ErrInvalidProto) {
		t.Errorf("v12 create with a room ID: error %v", err)
	}
}

func TestBuildRejects(t *testing.T) {
	key := testKey(t)
	long := strings.Repeat("a", MaxIDBytes)
	cases := []struct {
		name   string
		change func(*Proto)
		want   error
	}{
		{"no type", func(p *Proto) { p.Type = "" }, ErrInvalidProto},
		{"long type", func(p *Proto) { p.Type = long + "a" }, ErrInvalidProto},
		{"bad sender", func(p *Proto) { p.Sender = "alice" }, ErrInvalidProto},
		{"no room", func(p *Proto) { p.RoomID = "" }, ErrInvalidProto},
		{"long state key", func(p *Proto) { s := long + "a"; p.StateKey = &s }, ErrInvalidProto},
		{"21 prev events", func(p *Proto) { p.PrevEvents = make([]string, 21) }, ErrInvalidProto},
		{"11 auth events", func(p *Proto) { p.AuthEvents = make([]string, 11) }, ErrInvalidProto},
		{"bad reference", func(p *Proto) { p.PrevEvents = []string{"x"} }, ErrInvalidProto},
		{"negative depth", func(p *Proto) { p.Depth = -1 }, ErrInvalidProto},
		{"depth over 2^53-1", func(p *Proto) { p.Depth = MaxDepthStrict + 1 }, ErrInvalidProto},
		{"origin_server_ts over 2^53-1", func(p *Proto) { p.OriginServerTS = MaxDepthStrict + 1 }, ErrInvalidProto},
		{"content not an object", func(p *Proto) { p.Content = []byte(`[1]`) }, ErrInvalidProto},
		{"content with a float", func(p *Proto) { p.Content = []byte(`{"n":0.5}`) }, ErrInvalidProto},
		{"unsigned not JSON", func(p *Proto) { p.Unsigned = []byte(`{`) }, ErrInvalidProto},
		{"too large", func(p *Proto) { p.Content = []byte(`{"body":"` + strings.Repeat("x", MaxSize) + `"}`) }, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := messageProto()
			c.change(p)
			if _, err := p.Build(mustVersion(t, "11"), "example.org", key); !errors.Is(err, c.want) {
				t.Errorf("error = %v, want %v", err, c.want)
			}
		})
	}
}

// TestTamperingIsDetected: changing content breaks the content hash but not
// the signature (content of a message is redacted before signing); changing
// a protected key breaks the signature; a redacted copy still verifies.
func TestTamperingIsDetected(t *testing.T) {
	key := testKey(t)
	for _, v := range version.All() {
		p := messageProto()
		if v.Format == version.FormatV1 {
			p.PrevEvents, p.AuthEvents = nil, nil
		}
		ev, err := p.Build(v, "example.org", key)
		if err != nil {
			t.Fatal(err)
		}
		body := bytes.Replace(ev.Raw, []byte(`"body":"hello"`), []byte(`"body":"HELLO"`), 1)
		if ok, err := CheckContentHash(body); ok || err != nil {
			t.Errorf("v%s: changed body: CheckContentHash = %v, %v; want false, nil", v.ID, ok, err)
		}
		if err := VerifyEventSignature(body, v, "example.org", key.ID, key.Public); err != nil {
			t.Errorf("v%s: changed body broke the signature: %v", v.ID, err)
		}
		sender := bytes.Replace(ev.Raw, []byte(`"@alice:example.org"`), []byte(`"@mallory:example.org"`), 1)
		if err := VerifyEventSignature(sender, v, "example.org", key.ID, key.Public); !errors.Is(err, ErrSignature) {
			t.Errorf("v%s: changed sender: error %v, want ErrSignature", v.ID, err)
		}
		redacted, err := Redact(ev.Raw, v)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyEventSignature(redacted, v, "example.org", key.ID, key.Public); err != nil {
			t.Errorf("v%s: redacted copy: %v", v.ID, err)
		}
		if ok, _ := CheckContentHash(redacted); ok {
			t.Errorf("v%s: redacted copy passed the content hash", v.ID)
		}
		other := testKeyWithSeed(t, 9)
		if err := VerifyEventSignature(ev.Raw, v, "example.org", key.ID, other.Public); !errors.Is(err, ErrSignature) {
			t.Errorf("v%s: wrong public key: error %v", v.ID, err)
		}
		if err := VerifyEventSignature(ev.Raw, v, "other.org", key.ID, key.Public); !errors.Is(err, ErrSignature) {
			t.Errorf("v%s: wrong server: error %v", v.ID, err)
		}
	}
}

func testKeyWithSeed(t *testing.T, b byte) signing.KeyPair {
	key, err := signing.KeyFromSeed("ed25519:a_1", bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestSignEventKeepsOtherSignaturesAndHash: countersigning (as a resident
// server does for a remote join) adds a signature and leaves the origin's
// hash and signature intact.
func TestSignEventKeepsOtherSignaturesAndHash(t *testing.T) {
	v := mustVersion(t, "10")
	origin, resident := testKey(t), testKeyWithSeed(t, 3)
	ev, err := messageProto().Build(v, "example.org", origin)
	if err != nil {
		t.Fatal(err)
	}
	both, err := SignEvent(ev.Raw, v, "resident.org", resident)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEventSignature(both, v, "example.org", origin.ID, origin.Public); err != nil {
		t.Errorf("origin signature lost: %v", err)
	}
	if err := VerifyEventSignature(both, v, "resident.org", resident.ID, resident.Public); err != nil {
		t.Errorf("resident signature missing: %v", err)
	}
	if id, _ := EventIDFor(both, v); id != ev.ID {
		t.Errorf("countersigning changed the event ID")
	}
	// A tampered event keeps its (wrong) hash rather than getting a fresh
	// one that would launder the change.
	tampered := bytes.Replace(ev.Raw, []byte(`"hello"`), []byte(`"bye"`), 1)
	signed, err := SignEvent(tampered, v, "resident.org", resident)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := CheckContentHash(signed); ok {
		t.Error("SignEvent replaced an existing content hash")
	}
}

func TestCheckContentHashErrors(t *testing.T) {
	for in, want := range map[string]error{
		`{"content":{}}`:          ErrBadHash,
		`{"hashes":{"sha256":5}}`: ErrBadHash,
		`{"hashes":"x"}`:          ErrBadHash,
		`not json`:                ErrBadJSON,
	} {
		if _, err := CheckContentHash([]byte(in)); !errors.Is(err, want) {
			t.Errorf("CheckContentHash(%s) error = %v, want %v", in, err, want)
		}
	}
	if ok, err := CheckContentHash([]byte(`{"hashes":{"sha256":"!!"}}`)); ok || err != nil {
		t.Errorf("undecodable hash: %v, %v; want false, nil", ok, err)
	}
}
