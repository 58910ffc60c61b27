package event

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// ReferenceHash computes an event's reference hash (server-server-api
// "Calculating the reference hash for an event"): the event is redacted,
// signatures and unsigned are removed, and the canonical JSON of what
// remains is hashed with SHA-256. (A top-level age_ts, which older spec
// text also removed here, is not a protected key and goes with redaction.)
func ReferenceHash(raw []byte, v version.Spec) ([32]byte, error) {
	members, err := topMembers(raw, v)
	if err != nil {
		return [32]byte{}, err
	}
	return referenceHash(members, v)
}

func referenceHash(members []canonical.Member, v version.Spec) ([32]byte, error) {
	kept, err := redactMembers(members, v, true)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(appendObject(kept)), nil
}

// EventIDFor returns the ID of an event in room version v: the event_id
// property in room versions 1 and 2 (rooms/fragments/v1-event-ids.md), `$`
// and the reference hash in unpadded base64 in room version 3 (rooms/v3.md
// "Event IDs"), or in URL-safe unpadded base64 from room version 4
// (rooms/fragments/v4-event-ids.md).
func EventIDFor(raw []byte, v version.Spec) (string, error) {
	members, err := topMembers(raw, v)
	if err != nil {
		return "", err
	}
	if v.Format == version.FormatV1 {
		value := member(members, "event_id")
		if value == nil {
			return "", fmt.Errorf("%w: event_id", ErrMissingField)
		}
		return identifier("event_id", value, '$')
	}
	hash, err := referenceHash(members, v)
	if err != nil {
		return "", err
	}
	return eventIDFromHash(hash, v), nil
}

func eventIDFromHash(hash [32]byte, v version.Spec) string {
	if v.EventIDs == version.EventIDBase64 {
		return "$" + signing.EncodeBase64(hash[:])
	}
	return "$" + signing.EncodeURLBase64(hash[:])
}

// roomIDFromHash is the v12 room ID: "the event ID of the m.room.create
// event using ! as the sigil instead of $" (appendices "Room IDs").
func roomIDFromHash(hash [32]byte) string {
	return "!" + signing.EncodeURLBase64(hash[:])
}

// RoomIDForCreate derives the room ID a room version 12 m.room.create event
// creates: `!` and the URL-safe unpadded base64 of its reference hash.
func RoomIDForCreate(raw []byte, v version.Spec) (string, error) {
	if !v.RoomIDFromCreateEvent {
		return "", fmt.Errorf("%w: room version %q takes room IDs from room_id", ErrRoomVersion, v.ID)
	}
	members, err := topMembers(raw, v)
	if err != nil {
		return "", err
	}
	if t, _ := stringMember(members, "type"); t != TypeCreate {
		return "", ErrNotCreate
	}
	hash, err := referenceHash(members, v)
	if err != nil {
		return "", err
	}
	return roomIDFromHash(hash), nil
}

// CheckContentHash compares an event's hashes.sha256 with its content hash
// (server-server-api "Validating hashes and signatures on received events",
// "Calculating the content hash for an event"). ok is false when they
// differ (including a sha256 that is not base64 of a SHA-256), which the
// spec reads as "we have only been given a redacted version of the event":
// the receiver must then use the redacted copy. err reports an event that is
// not JSON or has no hashes.sha256 string.
func CheckContentHash(raw []byte) (ok bool, err error) {
	switch err := signing.CheckContentHash(raw); {
	case err == nil:
		return true, nil
	case errors.Is(err, signing.ErrContentHashMismatch):
		return false, nil
	case errors.Is(err, signing.ErrNoContentHash):
		return false, fmt.Errorf("%w: %w", ErrBadHash, err)
	default:
		return false, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
}
