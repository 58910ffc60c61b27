package room

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// Joined is a room joined over federation, as a verified send_join
// response gives it (server-server-api "Joining Rooms"): the resident
// server's state before the join, the auth chain of that state and of the
// join, and the join event itself. The caller has checked every event's
// signatures and hashes and the auth of every state event.
type Joined struct {
	Join      *event.Event
	State     []*event.Event
	AuthChain []*event.Event
}

// Adopt creates this server's copy of a room it joins over federation, in
// one batch: the auth chain and state events (stored as accepted, at the
// state before the join), the state before the join as a snapshot state
// group, and the join event on top of it as the room's only forward
// extremity and first event with a real state. From then on the room
// actor loads the room like any other: local sends go to every server
// with a joined member, and inbound PDUs of the room are stepped. A room
// already stored here fails with ErrRoomHeld.
func (d *Directory) Adopt(ctx context.Context, j Joined) error {
	if d.stopped.Load() {
		return ErrStopping
	}
	roomID := j.Join.RoomID
	unlock := d.creating.lock(roomID)
	defer unlock()
	if _, err := d.cfg.Store.Room(roomID); err == nil {
		return ErrRoomHeld
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := d.cfg.Store.NewRoomBatch()
	if err != nil {
		return err
	}
	defer b.Close()
	w := newWriter(d.cfg.Store, roomID)
	w.begin()
	all := append(slices.Clone(j.AuthChain), j.State...)
	slices.SortStableFunc(all, func(x, y *event.Event) int { return int(x.Depth - y.Depth) })
	var createStream uint64
	for _, ev := range all {
		if ev.RoomID != roomID {
			return fmt.Errorf("%w: event %s is of room %s", core.ErrWrongRoom, ev.ID, ev.RoomID)
		}
		if _, err := w.lookup(ev.ID); err == nil {
			continue
		}
		rec := &persistence.StoredEvent{
			NID: b.NextNID(), Stream: b.NextStream(), Depth: ev.Depth, RoomID: roomID, EventID: ev.ID,
			RoomVersion: string(ev.Version.ID), Outcome: persistence.OutcomeAccepted, Raw: ev.Raw,
		}
		if ev.Type == event.TypeCreate && ev.IsState() && *ev.StateKey == "" {
			w.info.Version, w.info.Creator, createStream = string(ev.Version.ID), ev.Sender, rec.Stream
		}
		w.batch[ev.ID] = rec
	}
	if w.info.Version == "" {
		return fmt.Errorf("%w: no m.room.create event in the joined state", core.ErrNotCreated)
	}
	w.info.CreatedStream = createStream
	delta := make([]core.StateChange, 0, len(j.State))
	var memberships []core.MembershipChange
	for _, ev := range j.State {
		if !ev.IsState() {
			continue
		}
		delta = append(delta, core.StateChange{Key: ev.Key(), New: ev.ID})
		if ev.Type == event.TypeMember && serverOfUser(*ev.StateKey) == d.cfg.Signer.ServerName {
			memberships = append(memberships, core.MembershipChange{UserID: *ev.StateKey, Old: event.MembershipLeave, New: core.MembershipOf(ev)})
		}
	}
	if err := w.writeState(b, delta); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	// The state and auth events are stored at the state before the join.
	for _, rec := range w.batch {
		rec.StateBefore, rec.StateAfter = w.info.StateGroup, w.info.StateGroup
		b.PutEvent(*rec)
		for _, m := range memberships {
			if m.UserID != "" && rec.EventID == d.memberEventID(j.State, m.UserID) {
				b.PutMembership(m.UserID, persistence.UserMembership{RoomID: roomID, Membership: m.New, EventNID: rec.NID, Stream: rec.Stream})
			}
		}
	}
	join := j.Join
	eff := &core.Effects{
		Event: join, Outcome: core.Accepted,
		StateDelta:  []core.StateChange{{Key: join.Key(), New: join.ID}},
		Extremities: []string{join.ID},
		Memberships: []core.MembershipChange{{UserID: *join.StateKey, Old: event.MembershipLeave, New: event.MembershipJoin}},
	}
	if err := w.write(b, eff, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	b.PutRoom(roomID, w.info)
	if err := d.cfg.commit(b); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	if h := d.cfg.OnCommit; h != nil {
		h(roomID, w.batch[join.ID].Stream, []string{*join.StateKey})
	}
	return nil
}

func (d *Directory) memberEventID(state []*event.Event, userID string) string {
	for _, ev := range state {
		if ev.Type == event.TypeMember && ev.StateKey != nil && *ev.StateKey == userID {
			return ev.ID
		}
	}
	return ""
}

func serverOfUser(userID string) string {
	for i := 0; i < len(userID); i++ {
		if userID[i] == ':' {
			return userID[i+1:]
		}
	}
	return ""
}
