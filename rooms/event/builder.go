package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// Proto is an event before it is hashed, signed and given an ID. The caller
// chooses everything the protocol leaves to the sending server: prev_events
// (the forward extremities), auth_events (rooms/auth selects them, which
// keeps this package free of state), depth and origin_server_ts (there are
// no clocks in rooms/).
type Proto struct {
	RoomID   string // empty only for a room version 12 m.room.create
	Type     string
	StateKey *string // nil for a message event
	Sender   string
	// Content is the event's content, a JSON object in any formatting; nil
	// means {}.
	Content        json.RawMessage
	PrevEvents     []string
	AuthEvents     []string
	Depth          int64
	OriginServerTS int64
	// Redacts is the target of an m.room.redaction: written as top-level
	// redacts before room version 11 and as content.redacts from v11
	// (rooms/v11.md "Moving the redacts property").
	Redacts string
	// Origin is the deprecated top-level origin; written only when set.
	Origin string
	// Unsigned is data outside the hashes and signatures (such as
	// prev_content or an invite's invite_room_state); nil omits it.
	Unsigned json.RawMessage
	// ReferenceHashes gives, for room versions 1 and 2 whose prev_events and
	// auth_events are [event_id, {"sha256": hash}] pairs (pdu_v1,
	// components/event_hash.yaml requires sha256), the reference hash of
	// every referenced event. Later versions ignore it.
	ReferenceHashes map[string][32]byte
	// Rand is the randomness behind room version 1 and 2 event IDs
	// (`$opaque:server`, rooms/fragments/v1-event-ids.md); nil means
	// crypto/rand.
	Rand io.Reader
}

// opaqueIDLength is the number of alphanumeric characters of a generated
// room version 1/2 event ID localpart: about 143 bits.
const opaqueIDLength = 24

// Build writes the event in room version v's wire format, adds its content
// hash, signs it as serverName with key (server-server-api "Adding hashes
// and signatures to outgoing events"), and returns it as an Event equal to
// what Parse(ev.Raw, v) gives (Build fills the fields from the prototype
// rather than parsing its own output again). The event ID is
// `$opaque:serverName` from the randomness source in room versions 1 and 2
// and the reference hash from version 3; a v12 m.room.create gets its room
// ID from that hash too.
func (p *Proto) Build(v version.Spec, serverName string, key signing.KeyPair) (*Event, error) {
	if err := p.check(v); err != nil {
		return nil, err
	}
	content, err := p.content(v)
	if err != nil {
		return nil, err
	}
	ev := &Event{
		RoomID: p.RoomID, Type: p.Type, StateKey: p.StateKey, Sender: p.Sender, Origin: p.Origin,
		Content: content, Depth: p.Depth, OriginServerTS: p.OriginServerTS,
		Redacts: p.Redacts, Version: v,
	}
	ev.PrevEvents = append([]string(nil), p.PrevEvents...)
	ev.AuthEvents = append([]string(nil), p.AuthEvents...)

	members := make([]canonical.Member, 0, 16)
	scratch := make([]byte, 0, 512)
	add := func(key string, value []byte) {
		members = append(members, canonical.Member{Key: key, Value: value})
	}
	str := func(s string) []byte {
		start := len(scratch)
		scratch = canonical.AppendString(scratch, s)
		return scratch[start:len(scratch):len(scratch)]
	}
	add("auth_events", p.references(nil, p.AuthEvents, v))
	add("content", content)
	add("depth", strconv.AppendInt(nil, p.Depth, 10))
	add("origin_server_ts", strconv.AppendInt(nil, p.OriginServerTS, 10))
	add("prev_events", p.references(nil, p.PrevEvents, v))
	add("sender", str(p.Sender))
	add("type", str(p.Type))
	if p.RoomID != "" {
		add("room_id", str(p.RoomID))
	}
	if p.StateKey != nil {
		add("state_key", str(*p.StateKey))
	}
	if p.Redacts != "" && !v.RedactsInContent {
		add("redacts", str(p.Redacts))
	}
	if p.Origin != "" {
		add("origin", str(p.Origin))
	}
	if v.Format == version.FormatV1 {
		if ev.ID, err = p.opaqueID(serverName); err != nil {
			return nil, err
		}
		add("event_id", str(ev.ID))
	}

	// Content hash: everything but unsigned, signatures and hashes, none of
	// which are present yet (server-server-api "Calculating the content
	// hash for an event").
	buf := appendObject(members)
	contentHash := sha256.Sum256(buf)
	hashes := append([]byte(`{"sha256":`), canonical.AppendString(nil, signing.EncodeBase64(contentHash[:]))...)
	add("hashes", append(hashes, '}'))

	// The redacted event without signatures is both what gets signed and
	// the input of the reference hash.
	redacted, err := redactMembers(members, v, true)
	if err != nil {
		return nil, err
	}
	buf = canonical.AppendObject(buf[:0], redacted)
	if v.Format != version.FormatV1 {
		hash := sha256.Sum256(buf)
		ev.ID = eventIDFromHash(hash, v)
		if v.RoomIDFromCreateEvent && p.Type == TypeCreate {
			ev.RoomID = roomIDFromHash(hash)
		}
	}
	signatures, err := signRedacted(buf, serverName, key)
	if err != nil {
		return nil, err
	}
	add("signatures", signatures)
	if p.Unsigned != nil {
		unsigned, err := canonicalize(p.Unsigned, v)
		if err != nil {
			return nil, fmt.Errorf("%w: unsigned: %w", ErrInvalidProto, err)
		}
		add("unsigned", unsigned)
		ev.Unsigned = unsigned
	}
	ev.Raw = appendObject(members)
	if len(ev.Raw) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes of canonical JSON, limit %d", ErrTooLarge, len(ev.Raw), MaxSize)
	}
	return ev, nil
}

// check applies Parse's per-property limits to the prototype, so that what
// Build returns would pass Parse.
func (p *Proto) check(v version.Spec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidProto}, args...)...)
	}
	switch {
	case p.Type == "":
		return bad("type is empty")
	case len(p.Type) > MaxIDBytes:
		return bad("type is %d bytes", len(p.Type))
	case len(p.Sender) > MaxIDBytes || len(p.Sender) < 2 || p.Sender[0] != '@':
		return bad("sender %q", p.Sender)
	case p.StateKey != nil && len(*p.StateKey) > MaxIDBytes:
		return bad("state_key is %d bytes", len(*p.StateKey))
	case len(p.PrevEvents) > MaxPrevEvents:
		return bad("%d prev_events", len(p.PrevEvents))
	case len(p.AuthEvents) > MaxAuthEvents:
		return bad("%d auth_events", len(p.AuthEvents))
	case p.Depth < 0 || (v.StrictCanonicalJSON && p.Depth > MaxDepthStrict):
		return bad("depth %d", p.Depth)
	case v.StrictCanonicalJSON && (p.OriginServerTS > MaxDepthStrict || p.OriginServerTS < -MaxDepthStrict):
		// Strict canonical JSON has no integers beyond ±(2^53-1).
		return bad("origin_server_ts %d", p.OriginServerTS)
	case p.Redacts != "" && (p.Redacts[0] != '$' || len(p.Redacts) > MaxIDBytes):
		return bad("redacts %q", p.Redacts)
	}
	if v.RoomIDFromCreateEvent && p.Type == TypeCreate {
		if p.RoomID != "" {
			return bad("room version %s derives the room ID of m.room.create", v.ID)
		}
	} else if len(p.RoomID) > MaxIDBytes || len(p.RoomID) < 2 || p.RoomID[0] != '!' {
		return bad("room_id %q", p.RoomID)
	}
	for _, refs := range [][]string{p.PrevEvents, p.AuthEvents} {
		for _, id := range refs {
			if len(id) > MaxIDBytes || len(id) < 2 || id[0] != '$' {
				return bad("referenced event ID %q", id)
			}
			if _, ok := p.ReferenceHashes[id]; v.Format == version.FormatV1 && !ok {
				return bad("no reference hash for %q", id)
			}
		}
	}
	return nil
}

// content canonicalises the content and, from room version 11, places
// redacts in it.
func (p *Proto) content(v version.Spec) ([]byte, error) {
	if p.Content == nil && !(p.Redacts != "" && v.RedactsInContent) {
		return []byte("{}"), nil
	}
	raw := []byte(p.Content)
	if raw == nil {
		raw = []byte("{}")
	}
	content, err := canonicalize(raw, v)
	if err != nil {
		return nil, fmt.Errorf("%w: content: %w", ErrInvalidProto, err)
	}
	if p.Redacts == "" || !v.RedactsInContent {
		return content, nil
	}
	members, err := canonical.Members(content)
	if err != nil {
		return nil, fmt.Errorf("%w: content: %w", ErrInvalidProto, err)
	}
	members = setMember(members, "redacts", canonical.AppendString(nil, p.Redacts))
	return appendObject(members), nil
}

// references writes prev_events or auth_events: plain IDs from format v2,
// [event_id, {"sha256": reference hash}] pairs in format v1.
func (p *Proto) references(dst []byte, ids []string, v version.Spec) []byte {
	dst = append(dst, '[')
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		if v.Format != version.FormatV1 {
			dst = canonical.AppendString(dst, id)
			continue
		}
		hash := p.ReferenceHashes[id] // check made sure it is there
		dst = append(dst, '[')
		dst = canonical.AppendString(dst, id)
		dst = append(dst, `,{"sha256":`...)
		dst = canonical.AppendString(dst, signing.EncodeBase64(hash[:]))
		dst = append(dst, "}]"...)
	}
	return append(dst, ']')
}

// opaqueID makes a room version 1/2 event ID: `$`, random alphanumerics and
// the server name ("opaque_id is a locally-unique string",
// rooms/fragments/v1-event-ids.md).
func (p *Proto) opaqueID(serverName string) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	r := p.Rand
	if r == nil {
		r = rand.Reader
	}
	id := make([]byte, 0, 1+opaqueIDLength+1+len(serverName))
	id = append(id, '$')
	var buf [32]byte
	for len(id) < 1+opaqueIDLength {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("%w: event ID randomness: %w", ErrInvalidProto, err)
		}
		for _, b := range buf {
			// 62 letters: reject the top values of b&63 to stay uniform.
			if c := b & 63; int(c) < len(alphabet) && len(id) < 1+opaqueIDLength {
				id = append(id, alphabet[c])
			}
		}
	}
	id = append(id, ':')
	id = append(id, serverName...)
	if len(id) > MaxIDBytes {
		return "", fmt.Errorf("%w: server name %q makes the event ID too long", ErrInvalidProto, serverName)
	}
	return string(id), nil
}
