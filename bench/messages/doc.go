// Package messages benchmarks GET /rooms/{roomId}/messages over loopback
// HTTP against an in-process homeserver, in a room filled with 100,000
// events through the room actors directly (not through HTTP, which would
// only measure sends).
//
// Run it with:
//
//	go test -run XXX -bench . -benchtime 2000x ./bench/messages
//
// Each benchmark reports p50 and p99 page latency and the process CPU time
// per page (server and client together: both run in this process). The
// figures and the machine they ran on are in the top-level README.md (Benchmarks).
//
// It is a test-only package: it must not be imported, and it imports the
// homeserver assembly, the room actors and persistence only to build its
// fixture.
package messages
