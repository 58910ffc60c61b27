// Package event parses, checks, builds and redacts PDUs for every room
// version: the wire formats, event IDs, content and reference hashes, event
// signing and verification, and the redaction algorithms. Source: the spec's
// content/rooms/*.md, content/server-server-api.md and content/appendices.md.
//
// Parse is the format check of an incoming PDU; Redact, ReferenceHash,
// EventIDFor and RoomIDForCreate implement the version-specific algorithms;
// SignEvent, VerifyEventSignature and CheckContentHash combine redaction with
// rooms/signing; Proto.Build makes a new, signed event. Canonical JSON comes
// from rooms/canonical and signatures from rooms/signing; this package
// writes neither itself.
//
// Like all of rooms/, it imports only the standard library, golang.org/x/crypto
// and the rooms/ packages below it (version, canonical, signing). It must not
// import rooms/auth, rooms/stateres or rooms/room (they import it), nor
// anything outside rooms/: no actors, Pebble, fasthttp, zap or clocks.
package event
