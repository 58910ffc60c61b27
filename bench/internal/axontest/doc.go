// Package axontest starts an in-process Axon (cmd/axon/homeserver) on
// loopback ports for the bench programs' tests and `go test -bench`
// benchmarks: data in a temporary directory, fsync on every commit as in
// production, rate limits off. It imports Axon's homeserver assembly, so
// only _test.go files may import it; the programs themselves speak nothing
// but HTTP.
package axontest
