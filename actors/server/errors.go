package server

import "errors"

// Sentinel errors of the server actors.
var (
	ErrStopping = errors.New("server: directory stopping")
	// ErrBadDestination reports a destination that is this server or empty.
	ErrBadDestination = errors.New("server: invalid destination")
)
