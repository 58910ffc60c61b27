package room

import "errors"

// Failure classes of the room core. Every error a function of this package
// returns wraps exactly one of them, so the HTTP edge can map them to Matrix
// error codes (suggested mapping in brackets).
var (
	// ErrBadJSON reports event content of the wrong shape for its type, such
	// as a non-integer power level in room version 10 or later [M_BAD_JSON].
	ErrBadJSON = errors.New("room: invalid event content")
	// ErrInvalidParam reports a request parameter that cannot be used: an
	// empty event type, a member state key that is not a user ID, an
	// unknown preset, an m.room.create in initial_state [M_INVALID_PARAM].
	ErrInvalidParam = errors.New("room: invalid parameter")
	// ErrForbidden reports an event the authorisation rules refuse; the
	// wrapped *auth.Error names the rule [M_FORBIDDEN].
	ErrForbidden = errors.New("room: forbidden")
	// ErrTooLarge reports an event over 65,536 bytes [M_TOO_LARGE].
	ErrTooLarge = errors.New("room: event too large")
	// ErrNotLocal reports a proposal whose sender is not a user of this
	// server [M_FORBIDDEN].
	ErrNotLocal = errors.New("room: sender is not a local user")
	// ErrInvalidRoomState reports a room creation whose own events the
	// authorisation rules refuse, for example an override that lowers the
	// creator's power below what the later events need
	// [M_INVALID_ROOM_STATE].
	ErrInvalidRoomState = errors.New("room: initial state is invalid")
	// ErrWrongRoom reports an event or event reference of another room or
	// room version [M_INVALID_PARAM on the client API].
	ErrWrongRoom = errors.New("room: event belongs to another room")
	// ErrNotCreated reports an operation on a Room that has no m.room.create
	// event in its state.
	ErrNotCreated = errors.New("room: room has no create event")
	// ErrMissingState reports a Step without the states the event needs (or
	// a Load without the create event) [internal].
	ErrMissingState = errors.New("room: missing state")
	// ErrKnownEvent reports a Step of an event the room has already
	// applied [the caller deduplicates; internal].
	ErrKnownEvent = errors.New("room: event already applied")
	// ErrBuild reports an event the builder could not produce for a reason
	// other than size [internal].
	ErrBuild = errors.New("room: cannot build event")
)
