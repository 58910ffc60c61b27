// Command load drives a homeserver with synthetic client traffic over the
// Matrix client-server API and measures it: it registers users (User-
// Interactive Auth with m.login.dummy, or shared-secret registration),
// creates rooms of chosen sizes and joins their members, keeps /sync long
// polls open, then for a bounded time performs a mix of operations
// (messages, typing notifications, read receipts, state changes, joins and
// leaves) at a rate or as fast as it can, and stops by itself.
//
//	go run ./bench/load -url http://127.0.0.1:8008 -users 50 -rooms 20 -room-size 5 \
//	    -syncers 20 -rate 0 -mix message=80,typing=8,receipt=8,state=2,joinleave=2 \
//	    -duration 20s -pid $(pidof axon) -json load.json -html load.html
//
// It reports send throughput and latency, end-to-end delivery latency (from
// the moment a message's send request starts until it appears in another
// member's /sync; each message carries a unique nonce), p50/p90/p99/max, errors
// by errcode, the server's CPU and RSS (given -pid), and checks that every
// message answered 200 reached every syncing member exactly once.
//
// It speaks nothing but HTTP, through bench/internal/mx, and writes its
// output through bench/report; the run's plumbing it shares with
// bench/fanout (flags and exit statuses, the message ledger, pacing, the
// target-down and process watches) is in bench/internal. Only its tests
// import Axon (in-process, through cmd/axon/homeserver/homeservertest).
package main
