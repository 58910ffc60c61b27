// Command accounts measures a homeserver's account endpoints: it registers
// N users (User-Interactive Auth with m.login.dummy, or shared-secret
// registration), then for a bounded time drives POST /login and GET
// /account/whoami at a chosen concurrency and reports requests per second,
// p50/p99/max latency, its own CPU time (getrusage) and, given -pid, the
// server's CPU time per request from /proc/<pid>/stat.
//
//	go run ./bench/accounts -url http://127.0.0.1:8008 -users 50 -concurrency 16 -duration 10s -pid $(pidof axon)
//
// BenchmarkLogin and BenchmarkWhoami run the same loops against an
// in-process Axon (cmd/axon/homeserver) on a loopback port.
//
// It speaks nothing but HTTP, through the shared bench/internal/mx client;
// its tests start Axon through bench/internal/homeservertest.
package main
