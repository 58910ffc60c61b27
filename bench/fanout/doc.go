// Command fanout measures how fast a homeserver delivers a room's messages
// to hundreds of other servers over federation.
//
// It hosts N synthetic remote servers in its own process
// (federation/fedtest: one TLS listener per loopback address, each server
// with its own name and ed25519 key), registers local users on the target
// through its client API, creates a public room (or uses -room), joins one
// user of every synthetic server over real federation (make_join, then v2
// send_join signed by that server), and sends messages from the local users
// at -rate (or as fast as the target answers) for -duration. For every
// message and every destination it records the time from the client's 200
// to the message's arrival in a transaction, and checks at the end that
// every message reached every destination exactly once and in order.
//
// Modes: steady (the default), -ramp (raise the rate step by step until the
// delivery p99 passes -p99, and print the ceiling) and -down FRACTION (that
// share of the servers fails or hangs for -down-for, then comes back and
// must receive everything, in order).
//
// Output: a live progress line, a text summary, a JSON summary (-json) and a
// self-contained HTML report (-html) through bench/report.
//
// Against a homeserver on this machine (Axon shown; any homeserver works
// that reaches 127.0.1.x over TLS and trusts the CA the tool writes):
//
//	go run ./bench/fanout -write-ca -ca fanout-ca.pem    # once; then set federation_ca_file: fanout-ca.pem
//	AXON_RATE_LIMITS=off go run ./cmd/axon &
//	go run ./bench/fanout -target http://127.0.0.1:8008 -fed 127.0.0.1:8448 -ca fanout-ca.pem \
//	    -servers 500 -senders 16 -rate 100 -duration 30s -pid $! -json fanout.json -html fanout.html
//	go run ./bench/fanout ... -ramp -rate 20 -p99 1s           # the ceiling
//	go run ./bench/fanout ... -down 0.1 -down-mode hang        # 10% of the servers away for 10 s
//
// Exit status: 0 when every message reached every destination exactly once
// and in order; 1 with the reason on standard error otherwise (the JSON and
// HTML files still hold what was measured); 2 for a bad flag.
//
// It speaks only HTTP to the target, so any homeserver that implements the
// spec can be measured; it imports federation/fedtest, federation and
// rooms/..., and never Axon's actors, http or persistence packages. The
// run's plumbing it shares with bench/load (flags and exit statuses, the
// message ledger, pacing, the target-down and process watches) is in
// bench/internal.
package main
