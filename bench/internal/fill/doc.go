// Package fill writes benchmark fixtures straight through Axon's room
// actors, before the homeserver under test starts: rooms of @creator and
// messages in them, proposed from many goroutines so that the actors
// coalesce them into large batches. Only the in-process benchmarks
// (bench/messages, bench/sync) use it; the tools that measure any
// homeserver speak HTTP only.
package fill
