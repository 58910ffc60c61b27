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
// one batch: the auth chain and state events as outliers (held by ID for
// the auth rules, state resolution and the federation reads, but not part
// of the timeline: the joiner's /sync and /messages start at the join), the
// state before the join as a snapshot state group, and the join event on
// top of it as the room's only forward extremity and first timeline event.
// The outliers are stored at the state before the join, which is the state
// after the join's prev_events. From then on the room actor loads the room
// like any other: local sends go to every server with a joined member, and
// inbound PDUs of the room are stepped. A room already stored here fails
// with ErrRoomHeld.
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
	for _, ev := range all {
		if ev.RoomID != roomID {
			return fmt.Errorf("%w: event %s is of room %s", core.ErrWrongRoom, ev.ID, ev.RoomID)
		}
		if _, err := w.lookup(ev.ID); err == nil {
			continue
		}
		rec := &persistence.StoredEvent{
			NID: b.NextNID(), Depth: ev.Depth, RoomID: roomID, EventID: ev.ID, Outlier: true,
			RoomVersion: string(ev.Version.ID), Outcome: persistence.OutcomeAccepted, Raw: ev.Raw,
		}
		if ev.Type == event.TypeCreate && ev.IsState() && *ev.StateKey == "" {
			// CreatedStream stays 0: the create event is an outlier here.
			w.info.Version, w.info.Creator = string(ev.Version.ID), ev.Sender
		}
		w.batch[ev.ID] = rec
	}
	if w.info.Version == "" {
		return fmt.Errorf("%w: no m.room.create event in the joined state", core.ErrNotCreated)
	}
	delta := make([]core.StateChange, 0, len(j.State))
	// Every member of the state before the join but the joiner: the
	// membership index holds remote members too, as it does for a room
	// created here (who shares a room with whom), and local ones see the
	// room in their /sync with the join.
	var members []*event.Event
	for _, ev := range j.State {
		if !ev.IsState() {
			continue
		}
		delta = append(delta, core.StateChange{Key: ev.Key(), New: ev.ID})
		if ev.Type == event.TypeMember && *ev.StateKey != *j.Join.StateKey {
			members = append(members, ev)
		}
	}
	if err := w.writeState(b, delta); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	for _, rec := range w.batch {
		rec.StateBefore, rec.StateAfter = w.info.StateGroup, w.info.StateGroup
		b.PutOutlier(*rec)
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
	joinStream := w.batch[join.ID].Stream
	users := []string{*join.StateKey}
	for _, ev := range members {
		if rec := w.batch[ev.ID]; rec != nil {
			b.PutMembership(*ev.StateKey, persistence.UserMembership{RoomID: roomID, Membership: core.MembershipOf(ev), EventNID: rec.NID, Stream: joinStream})
			if serverOfUser(*ev.StateKey) == d.cfg.Signer.ServerName {
				users = append(users, *ev.StateKey)
			}
		}
	}
	b.PutRoom(roomID, w.info)
	if err := d.cfg.commit(b); err != nil {
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	if h := d.cfg.OnCommit; h != nil {
		h(roomID, joinStream, users)
	}
	return nil
}

func serverOfUser(userID string) string {
	for i := 0; i < len(userID); i++ {
		if userID[i] == ':' {
			return userID[i+1:]
		}
	}
	return ""
}
