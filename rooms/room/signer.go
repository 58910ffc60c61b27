package room

import (
	"io"

	"github.com/axonhs/axon/rooms/signing"
)

// Signer is this server's identity for the events it builds: its server
// name, the signing key, and the randomness behind the identifiers the
// protocol leaves to the server (room IDs before room version 12, event IDs
// in room versions 1 and 2). Rand must be set; tests give a deterministic
// reader, servers crypto/rand.Reader.
type Signer struct {
	ServerName string
	Key        signing.KeyPair
	Rand       io.Reader
}
