package room

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/axonhs/axon/actors"
)

// shard routes proposals to the room actors of the rooms that hash to it,
// spawning them on demand. While an actor passivates, proposals for its room
// wait here, so that a new actor never runs beside the old one.
type shard struct {
	dir      *Directory
	children map[string]*actor.PID // room ID → live actor
	stopping map[string]*actor.PID // room ID → actor being poisoned
	byID     map[string]string     // PID.Id → room ID, for Terminated
	waiting  map[string][]*envelope
	draining chan struct{}
	finished bool
}

func newShard(d *Directory) *shard {
	return &shard{
		dir:      d,
		children: make(map[string]*actor.PID),
		stopping: make(map[string]*actor.PID),
		byID:     make(map[string]string),
		waiting:  make(map[string][]*envelope),
	}
}

func (s *shard) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *envelope:
		s.route(ctx, m)
	case *passivate:
		if pid, ok := s.children[m.roomID]; ok && pid.Equal(m.pid) {
			delete(s.children, m.roomID)
			s.stopping[m.roomID] = pid
			ctx.Poison(pid)
		}
	case *actor.Terminated:
		s.terminated(ctx, m.Who)
	case *actors.Drain:
		if s.draining != nil {
			return
		}
		s.draining = m.Done
		for id, pid := range s.children {
			delete(s.children, id)
			s.stopping[id] = pid
			ctx.Poison(pid)
		}
		s.maybeFinish(ctx)
	}
}

func (s *shard) route(ctx actor.Context, m *envelope) {
	if s.draining != nil {
		m.reply <- result{err: ErrStopping}
		return
	}
	if _, ok := s.stopping[m.roomID]; ok {
		s.waiting[m.roomID] = append(s.waiting[m.roomID], m)
		return
	}
	ctx.Send(s.child(ctx, m.roomID), m)
}

func (s *shard) child(ctx actor.Context, roomID string) *actor.PID {
	if pid, ok := s.children[roomID]; ok {
		return pid
	}
	d := s.dir
	pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &roomActor{dir: d, roomID: roomID, idle: actors.NewIdleTimer(d.root, d.cfg.IdleTimeout, d.cfg.Now)}
	}))
	s.children[roomID] = pid
	s.byID[pid.Id] = roomID
	d.live.Add(1)
	return pid
}

func (s *shard) terminated(ctx actor.Context, who *actor.PID) {
	id, ok := s.byID[who.Id]
	if !ok {
		return
	}
	delete(s.byID, who.Id)
	s.dir.live.Add(-1)
	if pid, ok := s.stopping[id]; ok && pid.Equal(who) {
		delete(s.stopping, id)
	}
	if pid, ok := s.children[id]; ok && pid.Equal(who) {
		delete(s.children, id)
	}
	if queued := s.waiting[id]; len(queued) > 0 {
		delete(s.waiting, id)
		for _, m := range queued {
			s.route(ctx, m)
		}
	}
	s.maybeFinish(ctx)
}

func (s *shard) maybeFinish(ctx actor.Context) {
	if s.draining == nil || s.finished || len(s.stopping) > 0 || len(s.children) > 0 {
		return
	}
	s.finished = true
	close(s.draining)
	ctx.Stop(ctx.Self())
}
