package room

import (
	"context"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// StepForward is Step for a membership event a remote server handed this
// one directly (send_join, send_leave, send_knock) rather than through a
// transaction: once accepted, the event goes into the outbox of every
// other server in the room but origin, since the resident server is the
// one that shares it (server-server-api "Joining Rooms": the resident
// server sends the join to the other servers in the room).
func (d *Directory) StepForward(ctx context.Context, ev *event.Event, origin string) (StepResult, error) {
	req := &stepRequest{evs: []*event.Event{ev}, res: make([]StepResult, 1), errs: make([]error, 1), forwardFrom: origin}
	if _, err := d.send(ctx, &envelope{roomID: ev.RoomID, step: req}); err != nil {
		return StepResult{}, err
	}
	return req.res[0], req.errs[0]
}

// forward sets the destinations of an accepted stepped event: the servers
// in the room after it, without this one and without origin.
func (a *roomActor) forward(eff *core.Effects, origin string) {
	if eff.Outcome != core.Accepted {
		return
	}
	eff.Destinations = eff.Destinations[:0:0]
	for _, s := range a.room.Servers() {
		if s != origin && s != a.dir.cfg.Signer.ServerName {
			eff.Destinations = append(eff.Destinations, s)
		}
	}
}
