package persistence

import (
	"errors"
	"fmt"
)

// ErrInTimeline reports an event that is already part of its room's
// timeline, so there is nothing to de-outlier.
var ErrInTimeline = errors.New("persistence: event is already in the timeline")

// Outliers are events this server holds but that are not part of a room's
// timeline (server-server-api "Retrieving events", and the glossary's
// "outlier"): the state and auth chain a send_join returns, auth events
// fetched to check a received PDU, state fetched with /state_ids. They are
// stored by NID ('e') and ID ('E') so that /event, /event_auth, /state_ids,
// state resolution and the auth rules find them, with the outlier flag set
// and Stream 0, and no row in the global stream ('o'), the topological
// ordering ('k') or the room's stream ('y'): /sync, /messages and /context
// never see them. StateBefore and StateAfter may name state groups (a state
// fetched for a missing prev_event is written as a snapshot group) or be 0
// when the state at the outlier is unknown.

// PutOutlier stores e as an outlier: by NID and by ID only. Stream is
// ignored. The caller checks that the event is not stored yet; storing an
// event already in the timeline as an outlier would hide it from nothing
// but leave its record without the positions its indexes point at.
func (b *RoomBatch) PutOutlier(e StoredEvent) {
	if !b.check(e.RoomID, e.EventID) {
		return
	}
	e.Outlier, e.Stream = true, 0
	b.set(eventKey(e.NID), encodeEvent(e))
	b.set(eventIDKey(e.EventID), appendU64(nil, e.NID))
}

// TimelineNID is the NID a timeline PutEvent of eventID must use: the
// outlier's own NID when the event is stored as an outlier, a new NID when
// it is not stored at all, and ErrInTimeline when it already has its
// positions. It reads committed data only: events written earlier in the
// same batch are the caller's to track.
func (b *RoomBatch) TimelineNID(eventID string) (uint64, error) {
	rec, err := b.store.EventByID(eventID)
	switch {
	case errors.Is(err, ErrNotFound):
		return b.NextNID(), nil
	case err != nil:
		return 0, fmt.Errorf("looking up %s: %w", eventID, err)
	case rec.Outlier:
		return rec.NID, nil
	}
	return 0, fmt.Errorf("%w: %s", ErrInTimeline, eventID)
}
