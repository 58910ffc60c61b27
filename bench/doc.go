// Package bench holds Axon's load generators and end-to-end benchmarks,
// each a program in its own directory that drives a homeserver over real
// sockets and reports throughput, latency percentiles and CPU cost:
//
//	bench/accounts   registration, /login and /account/whoami
//	bench/rooms      durable message sends: sends/s, p50/p99, CPU per send
//
// The programs speak the Matrix client-server API only, so they measure any
// homeserver; their `go test -bench` benchmarks start Axon in-process.
// Nothing outside bench/ may import these packages.
package bench
