// Package federation serves the federation listener: the key endpoints
// (/_matrix/key/v2/server, notary /_matrix/key/v2/query), the version
// endpoint, and the X-Matrix middleware (Authenticated) that checks a
// request's signature before a room-scoped handler sees it and hands that
// handler the verified origin.
//
// The protocol work (signatures, keyring, notary) is in the top-level
// federation package; this package only turns it into HTTP. It must not
// import Pebble or protoactor.
package federation
