package user

import "errors"

// Sentinel errors a Directory returns; the HTTP edge maps them to Matrix
// error codes.
var (
	ErrUserInUse     = errors.New("user: user ID already taken")
	ErrUnknownUser   = errors.New("user: no such user")
	ErrForbidden     = errors.New("user: invalid credentials")
	ErrDeactivated   = errors.New("user: account deactivated")
	ErrUnknownToken  = errors.New("user: unknown token")
	ErrTokenExpired  = errors.New("user: token expired")
	ErrUnknownDevice = errors.New("user: no such device")
	ErrBusy          = errors.New("user: too many requests in flight")
	ErrTimeout       = errors.New("user: no reply before the deadline")
	ErrStopping      = errors.New("user: directory stopping")
	ErrInternal      = errors.New("user: command failed")
)
