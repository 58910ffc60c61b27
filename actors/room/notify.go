package room

import core "github.com/axonhs/axon/rooms/room"

// CommitHook hears, after a room's batch has committed, the highest stream
// position of the batch and the users it may concern: the room's joined,
// invited and knocking members and everyone whose membership the batch
// changed. It carries positions, never data (the parked /sync requests read
// storage themselves). It runs on the room actor, so it must not block.
type CommitHook func(roomID string, pos uint64, userIDs []string)

// notifyCommitted calls the commit hooks for a batch that has committed.
func (a *roomActor) notifyCommitted(batch []*pending) {
	a.notifyOutbox(batch)
	h := a.dir.cfg.OnCommit
	if h == nil || a.room == nil {
		return
	}
	var pos uint64
	for _, p := range batch {
		pos = max(pos, p.stream)
	}
	if pos == 0 {
		return // outliers only: nothing in the timeline moved
	}
	seen := make(map[string]bool)
	var users []string
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				users = append(users, id)
			}
		}
	}
	add(a.room.Joined())
	add(a.room.Invited())
	add(a.room.Knocking())
	for _, p := range batch {
		for _, m := range p.eff.Memberships {
			add([]string{m.UserID})
		}
	}
	h(a.roomID, pos, users)
}

// notifyOutbox tells the server actors whose outbox the batch wrote to.
func (a *roomActor) notifyOutbox(batch []*pending) {
	effs := make([]*core.Effects, len(batch))
	for i, p := range batch {
		effs[i] = p.eff
	}
	a.dir.wakeOutbox(effs)
}

// wakeOutbox calls the outbox hook with the destinations of committed
// Effects (a room's creation invites remote users, too).
func (d *Directory) wakeOutbox(effs []*core.Effects) {
	h := d.cfg.OnOutbox
	if h == nil {
		return
	}
	var dests []string
	seen := make(map[string]bool)
	for _, eff := range effs {
		for _, d := range eff.Destinations {
			if !seen[d] {
				seen[d] = true
				dests = append(dests, d)
			}
		}
	}
	if len(dests) > 0 {
		h(dests)
	}
}
