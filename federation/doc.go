// Package federation is Axon's server-server transport: X-Matrix request
// signing and checking (xmatrix.go), the server's own published keys
// (publisher.go), the keyring that fetches, verifies and caches other
// servers' keys directly or through notaries (keyring.go, notary.go), server
// name resolution (discovery.go, wellknown.go), server ACL matching
// (acl.go), the outbound fasthttp client (client.go), and the client calls
// that fetch a room's state and events from another server with the checks
// that need no room state (roomstate.go, fetchevents.go).
//
// It must not import actors/ or http/ (the listener handlers in
// http/federation import this package, not the other way round), and it
// reaches Pebble only through the KeyStore interface, which
// persistence.Store satisfies.
package federation
