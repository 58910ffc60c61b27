// Package event parses, checks, builds and redacts PDUs for every room
// version: the wire formats, event IDs, content and reference hashes, event
// signing and verification, and the redaction algorithms. Source: the spec's
// content/rooms/*.md, content/server-server-api.md and content/appendices.md.
//
// Like all of rooms/, it imports only the standard library, golang.org/x/crypto
// and other rooms/ packages.
package event
