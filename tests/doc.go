// Package tests holds Axon's end-to-end tests, which start real servers
// in-process on loopback (through cmd/axon/homeserver, exactly as the axon
// command does) and drive them with a real Matrix client library
// (maunium.net/go/mautrix) over HTTP, and the architecture test that
// enforces DESIGN.md's import rules.
//
// Nothing outside tests/ may import it.
package tests
