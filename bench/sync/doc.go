// Package sync benchmarks GET /sync against an in-process Axon over
// loopback (`go test -bench . ./bench/sync`): the latency of an initial
// sync for a user in 1,000 rooms of 50 events each, and the wake-up latency
// of 1,000 parked long-polls while messages flow at 500 per second, with
// the memory each parked long-poll costs. Results are in the top-level README.md (Benchmarks).
//
// -wakeprofile FILE writes a CPU profile of the wake-up benchmark's
// measured phase alone; its own client goroutines carry the pprof label
// side=client, so `go tool pprof -tags` splits the process's CPU between
// the benchmark's clients and the server.
//
// Only its _test.go files carry code: it imports Axon's homeserver
// assembly and actors to fill storage quickly, which the bench programs
// proper must not.
package sync
