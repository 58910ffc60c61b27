// Package homeservertest starts an in-process Axon (cmd/axon/homeserver) on
// loopback ports for end-to-end tests and `go test -bench` benchmarks, and
// writes the throwaway signing keys and TLS certificates those servers need:
// data in a temporary directory, fsync on every commit as in production,
// rate limits off, federation closed to names outside the address map. It
// imports Axon's homeserver assembly, so only _test.go files may import it;
// the bench programs themselves speak nothing but HTTP.
package homeservertest
