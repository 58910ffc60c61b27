package federation

import "time"

// JoinTimings is how one send_join went: for logs and the join benchmark
// (bench/join), which splits the time of a join over federation into
// fetching the answer, verifying it and persisting it.
type JoinTimings struct {
	Server string
	RoomID string
	// Started is when the send_join request was started.
	Started time.Time
	// Fetch runs from the start of the request until the answer is
	// received and decoded into its events' JSON.
	Fetch time.Duration
	// Verify is VerifyJoin: the format, hashes, signatures and auth of
	// every returned event.
	Verify time.Duration
	// Bytes is the size of the answer; StateEvents and AuthChainEvents
	// count its state and auth_chain entries.
	Bytes           int
	StateEvents     int
	AuthChainEvents int
	// Err is why the join failed, nil if the answer verified.
	Err error
}
