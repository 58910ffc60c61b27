// Package homeserver assembles a running Axon homeserver from a
// configs.Config: the Pebble store, the signing key, the actor system with
// its user directory, and the client (plain HTTP) and federation (TLS)
// listeners. cmd/axon's serve command and the end-to-end tests both start
// servers through New, Start and Shutdown, so what the tests drive is what
// users run.
//
// It wires packages together and holds no protocol logic of its own. It
// must not import protoactor or Pebble directly: those stay behind actors/
// and persistence/.
package homeserver
