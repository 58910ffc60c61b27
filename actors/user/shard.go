package user

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/axonhs/axon/actors"
)

// shard routes commands to the user actors of the localparts that hash to
// it, spawning them on demand. While an actor passivates, commands for its
// user wait here, so that a new actor never runs beside the old one.
type shard struct {
	dir      *Directory
	children map[string]*actor.PID // localpart → live actor
	stopping map[string]*actor.PID // localpart → actor being poisoned
	byID     map[string]string     // PID.Id → localpart, for Terminated
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
	case *wake:
		if pid, ok := s.children[m.localpart]; ok {
			ctx.Send(pid, m)
		}
	case *passivate:
		if pid, ok := s.children[m.localpart]; ok && pid.Equal(m.pid) {
			delete(s.children, m.localpart)
			s.stopping[m.localpart] = pid
			ctx.Poison(pid)
		}
	case *actor.Terminated:
		s.terminated(ctx, m.Who)
	case *actors.Drain:
		if s.draining != nil {
			return
		}
		s.draining = m.Done
		for lp, pid := range s.children {
			delete(s.children, lp)
			s.stopping[lp] = pid
			ctx.Poison(pid)
		}
		s.maybeFinish(ctx)
	}
}

func (s *shard) route(ctx actor.Context, m *envelope) {
	if s.draining != nil {
		if m.reply != nil {
			m.reply <- result{err: ErrStopping}
		}
		return
	}
	if _, ok := s.stopping[m.localpart]; ok {
		s.waiting[m.localpart] = append(s.waiting[m.localpart], m)
		return
	}
	ctx.Send(s.child(ctx, m.localpart), m)
}

func (s *shard) child(ctx actor.Context, localpart string) *actor.PID {
	if pid, ok := s.children[localpart]; ok {
		return pid
	}
	d := s.dir
	props := actor.PropsFromProducer(func() actor.Actor {
		return &userActor{
			st:   state{localpart: localpart, store: d.cfg.Store, cache: d.cache, cfg: &d.cfg, onProfile: &d.profileHook, hooks: &d.syncHooks},
			idle: actors.NewIdleTimer(d.root, d.cfg.IdleTimeout, d.cfg.Now),
		}
	})
	pid := ctx.Spawn(props)
	s.children[localpart] = pid
	s.byID[pid.Id] = localpart
	d.live.Add(1)
	return pid
}

func (s *shard) terminated(ctx actor.Context, who *actor.PID) {
	lp, ok := s.byID[who.Id]
	if !ok {
		return
	}
	delete(s.byID, who.Id)
	s.dir.live.Add(-1)
	if pid, ok := s.stopping[lp]; ok && pid.Equal(who) {
		delete(s.stopping, lp)
	}
	if pid, ok := s.children[lp]; ok && pid.Equal(who) {
		delete(s.children, lp) // stopped without passivating (should not happen)
	}
	if queued := s.waiting[lp]; len(queued) > 0 {
		delete(s.waiting, lp)
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
