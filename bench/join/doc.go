// Command join measures how long Axon takes to join a big room over
// federation (issue "Federation II", item 7): a fake resident server
// (federation/fedtest) holds a generated room whose state has -members
// member events and whose auth chain has two earlier membership events
// (an invite and a first join) per member, and an in-process Axon answers
// a client's POST /join/{roomId} by make_join, send_join, verifying the
// whole answer and adopting the room. Each join is split into
//
//	resolve   client request until send_join is sent (make_join, signing)
//	fetch     send_join request until its answer is received and decoded
//	verify    format, hashes, signatures and auth of every returned event
//	persist   the room actor's adoption (one Pebble batch) and the answer
//
// with the process's CPU time (getrusage) over the join. The split comes
// from the "send_join answer verified" log entry Axon writes for every
// join (cmd/axon/homeserver/handshake.go).
//
//	go run ./bench/join -members 10000 -joins 3
//	go test -run '^$' -bench . -benchtime 3x ./bench/join
//
// It imports Axon's homeserver assembly and the fake-server kit, and is
// imported by nothing.
package main
