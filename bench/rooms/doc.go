// Command rooms measures durable message sends over the Matrix client-server
// API: PUT /rooms/{roomId}/send/m.room.message/{txnId} from 1, 16 or 64
// concurrent senders, into one room or spread over many, reporting sends/s,
// p50/p99 latency and CPU time per send.
//
//	go run ./bench/rooms -url http://127.0.0.1:8008 -senders 64 -rooms 100 -duration 10s
//
// The program registers one user (UIA with m.login.dummy), logs it in once
// per sender (each sender is its own device with its own transaction IDs),
// creates the rooms, then sends for the duration. Its `go test -bench`
// benchmarks start Axon in-process on 127.0.0.1:0 and send over real
// loopback HTTP.
//
// It speaks nothing but HTTP, through the shared bench/internal/mx client;
// its tests start Axon through bench/internal/homeservertest.
package main
