package ids

import "errors"

var (
	// ErrSigil reports an identifier that does not start with the sigil of
	// its kind (@, !, $, #).
	ErrSigil = errors.New("ids: wrong or missing sigil")
	// ErrTooLong reports an identifier longer than MaxLength bytes.
	ErrTooLong = errors.New("ids: longer than 255 bytes")
	// ErrNoServer reports an identifier without the ":server" part its kind
	// requires.
	ErrNoServer = errors.New("ids: missing server name")
	// ErrServerName reports a server name outside the grammar.
	ErrServerName = errors.New("ids: invalid server name")
	// ErrLocalpart reports a localpart with characters its kind forbids, or
	// an empty one where one is required.
	ErrLocalpart = errors.New("ids: invalid localpart")
	// ErrOpaque reports a room or event ID without a server part whose
	// opaque part is not an unpadded base64 SHA-256 hash.
	ErrOpaque = errors.New("ids: invalid hash-based ID")
)

// MaxLength is the limit, in bytes and including the sigil and the server
// name, on user IDs, room IDs, event IDs and room aliases (appendices.md
// "User Identifiers", "Room IDs", "Room Aliases", "Event IDs").
const MaxLength = 255
