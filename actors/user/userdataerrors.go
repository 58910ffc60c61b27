package user

import "errors"

// Sentinel errors of the per-user data commands.
var (
	// ErrKeysChanged refuses a device-keys upload that differs from the
	// keys the device already published.
	ErrKeysChanged = errors.New("user: device keys may not change once uploaded")
	// ErrKeyExists refuses a one-time key ID reused with another key.
	ErrKeyExists = errors.New("user: one-time key already exists with another value")
)
