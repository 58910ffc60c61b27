// Package fedtest is a kit of fake Matrix servers for tests and benchmarks.
// One Hub listens on one loopback address over TLS and hosts any number of
// Peers, told apart by the Host header (or, for IP-literal names, by hub:
// one hub per loopback address). Each peer has its own name and ed25519
// key, serves /_matrix/key/v2/server, signs requests it makes, builds and
// signs events with rooms/event, and records the transactions sent to it,
// with switches to fail or hang on purpose.
//
// It imports the federation package and rooms/..., never actors/, http/ or
// persistence.
package fedtest
