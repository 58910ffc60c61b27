package persistence

import (
	"encoding/binary"
	"fmt"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// Outcome of a stored event, as the room core decided it.
const (
	OutcomeAccepted   uint8 = 0
	OutcomeSoftFailed uint8 = 1
	OutcomeRejected   uint8 = 2
)

// StoredEvent is one event as stored under its numeric ID (NID). Raw is the
// event as it is served: for a redacted event, its redacted form with the
// redaction under unsigned.redacted_because. The original content of a
// redacted event is not kept anywhere: once the redaction commits it is gone
// from the store (client-server-api "Redactions": servers should strip the
// content).
type StoredEvent struct {
	NID     uint64
	Stream  uint64 // position in the global stream ordering
	Depth   int64
	RoomID  string
	EventID string
	// RoomVersion is the room version ID, needed to parse Raw.
	RoomVersion string
	// StateBefore and StateAfter are the state groups before and after the
	// event; equal for a message event and for a state event that changed
	// nothing.
	StateBefore uint64
	StateAfter  uint64
	Outcome     uint8
	Redacted    bool
	// Outlier marks an event held by ID only, outside the room's timeline
	// (outliers.go): Stream is 0 and no ordering index names it.
	Outlier bool
	Raw     []byte
}

// Topo is the event's position in its room's topological ordering.
func (e StoredEvent) Topo() Topo { return Topo{Depth: e.Depth, Stream: e.Stream} }

// Event parses Raw with the room's version.
func (e StoredEvent) Event() (*event.Event, error) {
	v, err := version.Lookup(version.ID(e.RoomVersion))
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", ErrCorrupt, e.EventID, err)
	}
	// Stored events were checked on receipt; a backfilled one may cite
	// more prev_events or auth_events than a new PDU may
	// (event.ParseOptions).
	ev, err := event.ParseWith(e.Raw, v, event.ParseOptions{UnboundedReferences: true})
	if err != nil {
		return nil, fmt.Errorf("%w: event %s: %v", ErrCorrupt, e.EventID, err)
	}
	return ev, nil
}

// The flags byte of format 1: bit 0 redacted, bits 1–2 the outcome, bit 3
// outlier. Records written before outliers existed never set bit 3, so they
// read as timeline events; a record with any higher bit set is corrupt.
const (
	eventRecordFormat   = 1
	flagRedacted        = 1
	flagOutcomeShift    = 1
	flagOutcomeMask     = 3 << flagOutcomeShift
	flagOutlier         = 1 << 3
	flagsKnown          = flagRedacted | flagOutcomeMask | flagOutlier
	eventRecordFixedLen = 2 + 5*8
)

func encodeEvent(e StoredEvent) []byte {
	b := make([]byte, 0, eventRecordFixedLen+6+len(e.RoomID)+len(e.EventID)+len(e.RoomVersion)+len(e.Raw))
	flags := (e.Outcome << flagOutcomeShift) & flagOutcomeMask
	if e.Redacted {
		flags |= flagRedacted
	}
	if e.Outlier {
		flags |= flagOutlier
	}
	b = append(b, eventRecordFormat, flags)
	b = appendU64(b, e.NID)
	b = appendU64(b, e.Stream)
	b = appendU64(b, sortableDepth(e.Depth))
	b = appendU64(b, e.StateBefore)
	b = appendU64(b, e.StateAfter)
	b = appendComponent(b, e.RoomID)
	b = appendComponent(b, e.EventID)
	b = appendComponent(b, e.RoomVersion)
	return append(b, e.Raw...)
}

// decodeEvent copies everything it keeps out of b.
func decodeEvent(b []byte) (StoredEvent, error) {
	if len(b) < eventRecordFixedLen || b[0] != eventRecordFormat || b[1]&^flagsKnown != 0 {
		return StoredEvent{}, fmt.Errorf("%w: event record", ErrCorrupt)
	}
	e := StoredEvent{
		Redacted:    b[1]&flagRedacted != 0,
		Outcome:     (b[1] & flagOutcomeMask) >> flagOutcomeShift,
		Outlier:     b[1]&flagOutlier != 0,
		NID:         binary.BigEndian.Uint64(b[2:]),
		Stream:      binary.BigEndian.Uint64(b[10:]),
		Depth:       depthFromSortable(binary.BigEndian.Uint64(b[18:])),
		StateBefore: binary.BigEndian.Uint64(b[26:]),
		StateAfter:  binary.BigEndian.Uint64(b[34:]),
	}
	rest := b[eventRecordFixedLen:]
	var ok bool
	for _, f := range []*string{&e.RoomID, &e.EventID, &e.RoomVersion} {
		if *f, rest, ok = splitComponent(rest); !ok {
			return StoredEvent{}, fmt.Errorf("%w: event record", ErrCorrupt)
		}
	}
	e.Raw = append([]byte(nil), rest...)
	return e, nil
}
