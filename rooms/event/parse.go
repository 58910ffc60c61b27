package event

import (
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/version"
)

// Parse checks a PDU against the PDU format of room version v and returns it
// as an Event. The checks are the format half of server-server-api "Checks
// performed on receipt of a PDU" (step 1): JSON valid under the version's
// canonical-JSON rules, the size limits of client-server-api "Size limits",
// the required properties and their types (server-server definitions
// pdu_v1, pdu_v3, pdu_v4, pdu_v6, pdu_v11, pdu_v12). Signatures, hashes and
// authorisation are not checked here.
//
// The event ID is taken from event_id in format v1 and computed from the
// reference hash otherwise; in room version 12 the room ID of an
// m.room.create event is derived from that hash too. Event.Raw holds the
// event as canonical JSON, the exact bytes its hashes and signatures cover.
func Parse(raw []byte, v version.Spec) (*Event, error) {
	return ParseWith(raw, v, ParseOptions{})
}

// ParseWith is Parse with options (parse_options.go).
func ParseWith(raw []byte, v version.Spec, o ParseOptions) (*Event, error) {
	canon, err := canonicalize(raw, v)
	if err != nil {
		return nil, err
	}
	if len(canon) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes of canonical JSON, limit %d", ErrTooLarge, len(canon), MaxSize)
	}
	members, err := objectMembers(canon, "event")
	if err != nil {
		return nil, err
	}
	ev := &Event{Version: v, Raw: canon}
	var seen presence
	for _, m := range members {
		if err := ev.setField(m, v, o, &seen); err != nil {
			return nil, err
		}
	}
	if err := seen.required(ev, v); err != nil {
		return nil, err
	}
	if v.RedactsInContent && ev.Type == TypeRedaction {
		// v11 event format: "The redacts property of m.room.redaction events
		// is moved from a top-level event property to a property under the
		// event content."
		if value := member(mustMembers(ev.Content), "redacts"); value != nil {
			if ev.Redacts, err = identifier("content.redacts", value, '$'); err != nil {
				return nil, err
			}
		}
	}
	if v.Format != version.FormatV1 {
		hash, err := referenceHash(members, v)
		if err != nil {
			return nil, err
		}
		ev.ID = eventIDFromHash(hash, v)
		if v.RoomIDFromCreateEvent && ev.Type == TypeCreate {
			ev.RoomID = roomIDFromHash(hash)
		}
	}
	return ev, nil
}

// mustMembers splits content that setField has already checked is an
// object.
func mustMembers(content []byte) []canonical.Member {
	members, err := canonical.Members(content)
	if err != nil {
		return nil
	}
	return members
}

// presence records which properties an event carried.
type presence struct {
	eventID, roomID, sender, typ, content, depth, ts, prev, auth, hashes, signatures bool
}

// required enforces the "required" lists of the PDU definitions.
func (p presence) required(ev *Event, v version.Spec) error {
	missing := func(key string) error { return fmt.Errorf("%w: %s", ErrMissingField, key) }
	switch {
	case !p.typ:
		return missing("type")
	case !p.sender:
		return missing("sender")
	case !p.content:
		return missing("content")
	case !p.depth:
		return missing("depth")
	case !p.ts:
		return missing("origin_server_ts")
	case !p.prev:
		return missing("prev_events")
	case !p.auth:
		return missing("auth_events")
	case !p.hashes:
		return missing("hashes")
	case !p.signatures:
		return missing("signatures")
	case v.Format == version.FormatV1 && !p.eventID:
		return missing("event_id")
	}
	if v.RoomIDFromCreateEvent && ev.Type == TypeCreate {
		// components/room_id_v12.yaml: room_id is "Omitted from m.room.create
		// events"; v12 auth rule 1.2 rejects a create event that has one.
		if p.roomID {
			return fmt.Errorf("%w: room_id on m.room.create", ErrUnexpectedField)
		}
		return nil
	}
	if !p.roomID {
		return missing("room_id")
	}
	return nil
}

func (ev *Event) setField(m canonical.Member, v version.Spec, o ParseOptions, seen *presence) error {
	var err error
	switch m.Key {
	case "type":
		seen.typ = true
		ev.Type, err = identifier("type", m.Value, 0)
	case "sender":
		seen.sender = true
		ev.Sender, err = identifier("sender", m.Value, '@')
	case "room_id":
		seen.roomID = true
		ev.RoomID, err = identifier("room_id", m.Value, '!')
	case "state_key":
		var sk string
		if sk, err = identifier("state_key", m.Value, 0); err == nil {
			ev.StateKey = &sk
		}
	case "event_id":
		if v.Format != version.FormatV1 {
			// rooms/v3.md "Event format": "the event_id field is no longer
			// included"; one that is present would feed into its own hash.
			return fmt.Errorf("%w: event_id", ErrUnexpectedField)
		}
		seen.eventID = true
		ev.ID, err = identifier("event_id", m.Value, '$')
	case "content":
		seen.content = true
		if m.Value[0] != '{' {
			return fmt.Errorf("%w: content must be an object", ErrFieldType)
		}
		ev.Content = m.Value
	case "depth":
		seen.depth = true
		ev.Depth, err = depth(m.Value, v)
	case "origin_server_ts":
		seen.ts = true
		if ev.OriginServerTS, err = decodeInt(m.Value); err != nil {
			err = fmt.Errorf("%w: origin_server_ts must be an integer", err)
		}
	case "prev_events":
		seen.prev = true
		ev.PrevEvents, err = references("prev_events", m.Value, v, o.prevLimit())
	case "auth_events":
		seen.auth = true
		ev.AuthEvents, err = references("auth_events", m.Value, v, o.authLimit())
	case "hashes":
		seen.hashes = true
		err = checkHashes(m.Value)
	case "signatures":
		seen.signatures = true
		err = checkSignatures(m.Value)
	case "unsigned":
		if m.Value[0] != '{' {
			return fmt.Errorf("%w: unsigned must be an object", ErrFieldType)
		}
		ev.Unsigned = m.Value
	case "redacts":
		if !v.RedactsInContent {
			ev.Redacts, err = identifier("redacts", m.Value, '$')
		}
	case "origin":
		// Deprecated and no longer part of the PDU definitions; kept when it
		// is a string, ignored otherwise.
		ev.Origin, _ = decodeString(m.Value)
	}
	return err
}

// depth checks the depth property: an integer in [0, limit], where the limit
// is 2^63-1, or 2^53-1 from room version 6 (components/depth_v6.yaml).
func depth(value []byte, v version.Spec) (int64, error) {
	d, err := decodeInt(value)
	if err != nil {
		return 0, fmt.Errorf("%w: depth must be an integer", err)
	}
	limit := int64(MaxDepth)
	if v.StrictCanonicalJSON {
		limit = MaxDepthStrict
	}
	if d < 0 || d > limit {
		return 0, fmt.Errorf("%w: depth %d outside [0, %d]", ErrFieldValue, d, limit)
	}
	return d, nil
}

// references parses prev_events or auth_events: [event_id, hashes] pairs in
// format v1 (pdu_v1), plain event IDs from format v2
// (auth_events_prev_events_v4.yaml), at most limit of them (no bound when
// limit is negative).
func references(key string, value []byte, v version.Spec, limit int) ([]string, error) {
	items, err := arrayItems(key, value)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && len(items) > limit {
		return nil, fmt.Errorf("%w: %d %s, limit %d", ErrTooManyReferences, len(items), key, limit)
	}
	ids := make([]string, 0, len(items))
	for _, item := range items {
		if v.Format == version.FormatV1 {
			pair, err := arrayItems(key, item)
			if err != nil {
				return nil, err
			}
			if len(pair) != 2 || pair[1][0] != '{' {
				return nil, fmt.Errorf("%w: %s entries must be [event_id, hashes]", ErrFieldType, key)
			}
			item = pair[0]
		}
		id, err := identifier(key, item, '$')
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkHashes checks components/event_hash.yaml: an object with a string
// sha256 (other algorithms may sit beside it).
func checkHashes(value []byte) error {
	members, err := objectMembers(value, "hashes")
	if err != nil {
		return err
	}
	sha := member(members, "sha256")
	if sha == nil {
		return fmt.Errorf("%w: hashes.sha256", ErrMissingField)
	}
	if _, err := decodeString(sha); err != nil {
		return fmt.Errorf("%w: hashes.sha256 must be a string", ErrFieldType)
	}
	return nil
}

// checkSignatures checks pdu_base's signatures: an object of server names to
// objects of key IDs to strings.
func checkSignatures(value []byte) error {
	servers, err := objectMembers(value, "signatures")
	if err != nil {
		return err
	}
	for _, server := range servers {
		keys, err := objectMembers(server.Value, "signatures."+server.Key)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if key.Value[0] != '"' {
				return fmt.Errorf("%w: signatures.%s.%s must be a string", ErrFieldType, server.Key, key.Key)
			}
		}
	}
	return nil
}
