// Package seqlog numbers the messages a bench run sends, 0, 1, 2, …, and
// keeps one record per number at an address that never moves, so that
// senders, receivers and the check at the end share the records through
// atomics without copying them. The number travels in the message (its
// body or transaction ID) and finds the record again on arrival.
//
// Standard library only.
package seqlog
