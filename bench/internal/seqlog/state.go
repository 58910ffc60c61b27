package seqlog

// How a message's send request ended, for records that keep it in an
// atomic.Int32: Pending until the homeserver answered, then Sent (200,
// the message must be delivered) or Failed (it must not be).
const (
	Pending int32 = iota
	Sent
	Failed
)
