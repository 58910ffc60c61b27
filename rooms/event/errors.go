package event

import "errors"

// Failure classes of Parse, Redact, the hash functions and Build. Every error
// returned by this package wraps exactly one of them (and, where the cause is
// canonical JSON or signing, that package's error too).
var (
	// ErrBadJSON reports input that is not (canonical-compatible) JSON for
	// the room version: malformed, invalid UTF-8, and in room versions with
	// strict canonical JSON also floats, out-of-range integers and repeated
	// keys.
	ErrBadJSON = errors.New("event: invalid JSON for this room version")
	// ErrNotObject reports an event that is not a JSON object.
	ErrNotObject = errors.New("event: not a JSON object")
	// ErrTooLarge reports an event over MaxSize bytes of canonical JSON.
	ErrTooLarge = errors.New("event: event too large")
	// ErrMissingField reports a property the room version's PDU format
	// requires.
	ErrMissingField = errors.New("event: missing required property")
	// ErrFieldType reports a property with a value of the wrong JSON type or
	// shape.
	ErrFieldType = errors.New("event: property has the wrong type")
	// ErrFieldTooLong reports an identifier or key over its byte limit.
	ErrFieldTooLong = errors.New("event: property too long")
	// ErrFieldValue reports a property whose value is out of its allowed
	// range or lacks its sigil.
	ErrFieldValue = errors.New("event: property has an invalid value")
	// ErrUnexpectedField reports a property the room version's format
	// forbids (event_id from room version 3, room_id on a v12 create event).
	ErrUnexpectedField = errors.New("event: property not allowed in this room version")
	// ErrTooManyReferences reports more prev_events or auth_events than the
	// PDU format allows.
	ErrTooManyReferences = errors.New("event: too many prev_events or auth_events")
	// ErrNotCreate reports a call that needs an m.room.create event.
	ErrNotCreate = errors.New("event: not an m.room.create event")
	// ErrRoomVersion reports an operation the room version does not define
	// (such as deriving a room ID from a create event before v12).
	ErrRoomVersion = errors.New("event: not defined for this room version")
	// ErrBadHash reports a hashes property whose sha256 is not unpadded
	// base64 of 32 bytes.
	ErrBadHash = errors.New("event: malformed content hash")
	// ErrSignature reports an event whose signature does not verify.
	ErrSignature = errors.New("event: signature check failed")
	// ErrInvalidProto reports a Proto that cannot be built into an event.
	ErrInvalidProto = errors.New("event: invalid event prototype")
)
