package persistence

import (
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Federation transaction bookkeeping (server-server-api "Transactions"):
//
//	D | lp(destination)         → DestinationState: the transaction in flight, backoff, last success
//	I | lp(origin) | lp(txnID)  → InboundTxn: the response given to a received transaction
//
// 'D' is written only by the destination's server actor; 'I' by the
// inbound /send handler, once per (origin, txnID).
const (
	prefixDestination byte = 'D'
	prefixInboundTxn  byte = 'I'
)

// DestinationState is what a server actor keeps across restarts about its
// destination. TxnID and Streams describe the transaction in flight: after
// a restart the same rows go out under the same ID, as the spec requires
// of a retried transaction.
type DestinationState struct {
	// Seq numbers this server's transactions to the destination.
	Seq     uint64   `json:"seq"`
	TxnID   string   `json:"txn_id,omitempty"`
	Streams []uint64 `json:"streams,omitempty"`
	// Failures counts consecutive failed attempts; RetryAtMS is when the
	// next may start (unix ms).
	Failures      int   `json:"failures,omitempty"`
	RetryAtMS     int64 `json:"retry_at_ms,omitempty"`
	LastSuccessMS int64 `json:"last_success_ms,omitempty"`
}

func destinationKey(destination string) []byte {
	return appendComponent([]byte{prefixDestination}, destination)
}

// PutDestination records st for destination in b.
func (b *Batch) PutDestination(destination string, st DestinationState) {
	if !b.check(destination) {
		return
	}
	b.setJSON(destinationKey(destination), st)
}

// PutDestination records st for destination, without waiting for fsync:
// it records which rows a transaction carries and its ID, and losing it to
// an operating-system crash only means those rows go out again under a new
// ID (receivers drop PDUs they already have by event ID).
func (s *Store) PutDestination(destination string, st DestinationState) error {
	b := s.NewBatch()
	b.PutDestination(destination, st)
	return b.CommitNoSync()
}

// Destination returns destination's state; ErrNotFound if none was kept.
func (s *Store) Destination(destination string) (DestinationState, error) {
	var st DestinationState
	err := s.getJSON(destinationKey(destination), &st)
	return st, err
}

// InboundTxn is the answer given to one received transaction, returned
// again when the origin resends it.
type InboundTxn struct {
	Response []byte `json:"response"`
	TS       int64  `json:"ts"`
}

func inboundTxnKey(origin, txnID string) []byte {
	return appendComponent(appendComponent([]byte{prefixInboundTxn}, origin), txnID)
}

// InboundTxnResult returns the stored answer to origin's txnID;
// ErrNotFound if it was not processed.
func (s *Store) InboundTxnResult(origin, txnID string) (InboundTxn, error) {
	var t InboundTxn
	if len(origin) > maxKeyComponentBytes || len(txnID) > maxKeyComponentBytes {
		return t, ErrNotFound
	}
	err := s.getJSON(inboundTxnKey(origin, txnID), &t)
	return t, err
}

// PutInboundTxnResult stores the answer to origin's txnID. It need not
// survive a crash (the PDUs themselves are stored by the room actors, and
// a resend is checked again), so it is written without fsync.
func (s *Store) PutInboundTxnResult(origin, txnID string, t InboundTxn) error {
	b := s.NewBatch()
	if !b.check(origin, txnID) {
		b.Close()
		return ErrKeyTooLong
	}
	b.setJSON(inboundTxnKey(origin, txnID), t)
	if err := b.CommitNoSync(); err != nil {
		return fmt.Errorf("persistence: inbound txn: %w", err)
	}
	return nil
}

// PruneInboundTxns deletes the inbound transaction records older than
// beforeMS and returns how many it removed.
func (s *Store) PruneInboundTxns(beforeMS int64) (int, error) {
	lo := []byte{prefixInboundTxn}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return 0, fmt.Errorf("persistence: inbound txns: %w", err)
	}
	b := s.NewBatch()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		var t InboundTxn
		if err := json.Unmarshal(it.Value(), &t); err != nil || t.TS < beforeMS {
			b.delete(append([]byte(nil), it.Key()...))
			n++
		}
	}
	if err := it.Close(); err != nil {
		b.Close()
		return 0, err
	}
	if n == 0 {
		b.Close()
		return 0, nil
	}
	return n, b.CommitNoSync()
}
