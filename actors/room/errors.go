package room

import "errors"

// Sentinel errors a Directory returns besides the room core's own (which
// pass through wrapped); the HTTP edge maps them to Matrix error codes.
var (
	ErrUnknownRoom = errors.New("room: no such room")
	ErrBusy        = errors.New("room: too many requests in flight for this room")
	ErrTimeout     = errors.New("room: no reply before the deadline")
	ErrStopping    = errors.New("room: directory stopping")
	ErrInternal    = errors.New("room: command failed")
	ErrCommit      = errors.New("room: storing the events failed")
	// ErrTxnReused reports a transaction ID used again for a different
	// request.
	ErrTxnReused = errors.New("room: transaction ID reused for a different request")
)
