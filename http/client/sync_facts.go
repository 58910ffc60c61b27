package client

import "github.com/axonhs/axon/persistence"

// Every /sync and room read resolves history visibility and membership
// from the same few state events (the room's m.room.history_visibility,
// each user's m.room.member), and every woken /sync of a room's members
// reads them again. What a stored event says there never changes (a
// redaction keeps both "history_visibility" and "membership", per the
// redaction algorithm of every room version), so it is kept across
// requests instead of decoding the event's JSON each time.

// contentFact names which fact of an event's content is kept.
type contentFact uint8

const (
	factVisibility contentFact = iota + 1
	factMembership
)

// factKey names one fact of one stored event. The event ID with the NID
// keeps events of different stores in one process apart (tests run
// several servers in one process).
type factKey struct {
	eventID string
	nid     uint64
	fact    contentFact
}

// sharedFacts holds decoded visibility and membership facts; bounded, a
// dropped entry is decoded again.
var sharedFacts = newBoundedMap[factKey, string](65_536)

// storedContentFact returns a fact of se, computed by read from its
// decoded header on first use.
func storedContentFact(se persistence.StoredEvent, fact contentFact, read func(eventHeader, error) string) string {
	k := factKey{eventID: se.EventID, nid: se.NID, fact: fact}
	if v, ok := sharedFacts.get(k); ok {
		return v
	}
	h, err := decodeEventHeader(se.Raw)
	v := read(h, err)
	if err == nil && se.EventID != "" {
		sharedFacts.put(k, v) // an event that does not decode is not remembered
	}
	return v
}
