package room

import (
	core "github.com/axonhs/axon/rooms/room"
)

// Txn identifies a client transaction (client-server-api "Transaction
// identifiers"): the device, and the endpoint-scoped transaction ID. Request
// tells one request from another so that a reuse with a different body is
// refused.
type Txn struct {
	UserID   string
	DeviceID string
	// ID is the transaction ID scoped to its endpoint and room, e.g.
	// "send\x00!room:hs\x00<txnId>".
	ID      string
	Request string
	// ClientTxnID, when set, is the transaction ID as the client sent it;
	// the event's batch then records it for unsigned.transaction_id
	// (persistence.EventTxn).
	ClientTxnID string
}

// envelope carries one proposal to one room's actor and the channel its
// result goes back on (buffered, so the actor never blocks replying).
type envelope struct {
	roomID   string
	proposal core.Proposal
	// join, when set, replaces proposal: the actor builds the join itself
	// (restricted.go).
	join *joinRequest
	// step, when set, replaces proposal: a checked remote event for
	// rooms/room.Step (step.go).
	step *stepRequest
	// backfill, when set, replaces proposal: checked events of a
	// /backfill answer to place before the room's history (backfill.go).
	backfill *backfillRequest
	// profile, when set, replaces proposal: the actor builds a member
	// event with the user's current profile, if one is needed (profile.go).
	profile *profileRequest
	// outliers, when set, replaces proposal: events to hold outside the
	// timeline (outlier.go).
	outliers *outlierRequest
	txn      *Txn
	reply    chan result
}

type result struct {
	eventID string
	err     error
}

// flushNow tells the actor to commit what it has pending; the actor sends it
// to itself behind the proposals already queued, which is what coalesces
// them.
type flushNow struct{}
