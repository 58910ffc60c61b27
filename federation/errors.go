package federation

import "errors"

// Sentinel errors of this package.
var (
	ErrBadAuthHeader    = errors.New("federation: malformed X-Matrix authorization header")
	ErrWrongDestination = errors.New("federation: request is addressed to another server")
	ErrBadSignature     = errors.New("federation: signature does not verify")
	ErrKeyNotFound      = errors.New("federation: server key not found")
	ErrKeyExpired       = errors.New("federation: server key not valid at the time asked")
	ErrBadKeyResponse   = errors.New("federation: invalid server key response")
	ErrBadServerName    = errors.New("federation: invalid server name")
	ErrTooManyConns     = errors.New("federation: outbound connection limit reached")
	ErrResponseTooLarge = errors.New("federation: response body too large")
	ErrRemote           = errors.New("federation: remote server returned an error")
	ErrBadWellKnown     = errors.New("federation: invalid /.well-known/matrix/server")
	ErrNotInAddressMap  = errors.New("federation: server is not in the configured address map")
)
