// Package bench holds Axon's load generators and end-to-end benchmarks,
// each a program in its own directory that drives a homeserver over real
// sockets and reports throughput, latency percentiles and CPU cost:
//
//	bench/accounts   registration, /login and /account/whoami
//	bench/rooms      durable message sends: sends/s, p50/p99, CPU per send
//	bench/load       synthetic client traffic: sends, parked /syncs, typing,
//	                 receipts, state, joins/leaves; send and delivery latency
//
// bench/report is their shared output kit (recorder, progress line, JSON
// and HTML reports); bench/internal holds the helpers they share.
//
// The programs speak the Matrix client-server API only, so they measure any
// homeserver; their `go test -bench` benchmarks start Axon in-process.
// Nothing outside bench/ may import these packages.
package bench
