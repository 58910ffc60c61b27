package room

import (
	"context"
	"errors"
	"fmt"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// ErrRoomHeld reports that the room is already stored here, so an event
// of it must go through Step rather than be recorded on its own.
var ErrRoomHeld = errors.New("room: the room is already held by this server")

// RecordMembership stores the membership event ev of a local user in a
// room this server does not hold (server-server-api "Inviting to a room",
// "Knocking upon a room", "Leaving Rooms (Rejecting Invites)"): the event
// alone, outside any room state, and the user's membership pointing at
// it, so that the user's /sync shows the invite or knock (the stripped
// state travels in the event's unsigned.invite_room_state or
// unsigned.knock_room_state) or drops it after a rejection. The commit
// hook wakes the user. A room stored here fails with ErrRoomHeld.
func (d *Directory) RecordMembership(ctx context.Context, ev *event.Event, membership string) error {
	if d.stopped.Load() {
		return ErrStopping
	}
	if ev.StateKey == nil {
		return fmt.Errorf("%w: %s is not a membership event", ErrInternal, ev.ID)
	}
	unlock := d.creating.lock(ev.RoomID)
	defer unlock()
	if _, err := d.cfg.Store.Room(ev.RoomID); err == nil {
		return ErrRoomHeld
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	b, err := d.cfg.Store.NewRoomBatch()
	if err != nil {
		return err
	}
	defer b.Close()
	rec, err := d.cfg.Store.EventByID(ev.ID)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		rec = persistence.StoredEvent{
			NID: b.NextNID(), Stream: b.NextStream(), Depth: ev.Depth, RoomID: ev.RoomID, EventID: ev.ID,
			RoomVersion: string(ev.Version.ID), Outcome: persistence.OutcomeAccepted, Raw: ev.Raw,
		}
		b.PutEvent(rec)
	case err != nil:
		return err
	default:
		rec.Stream = b.NextStream()
	}
	b.PutMembership(*ev.StateKey, persistence.UserMembership{RoomID: ev.RoomID, Membership: membership, EventNID: rec.NID, Stream: rec.Stream})
	if backInRoom(membership) {
		b.SetForgotten(*ev.StateKey, ev.RoomID, false)
	}
	if err := d.cfg.commit(b); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	if h := d.cfg.OnCommit; h != nil {
		h(ev.RoomID, rec.Stream, []string{*ev.StateKey})
	}
	return nil
}
