package server

import (
	"github.com/asynkron/protoactor-go/actor"
)

// routed carries a message for one destination's actor through its shard.
type routed struct {
	dest string
	msg  any
}

// wake: the destination's outbox has new rows.
type wake struct{}

// wakeToDevice: the destination's to-device outbox has new rows.
type wakeToDevice struct{}

// contacted: the destination has just reached us.
type contacted struct{}

// idle is an actor's request to be passivated; the shard grants it only if
// nothing was routed to the actor since the actor sent it (routedAt is the
// count of messages the actor had received when it asked).
type idle struct {
	dest     string
	pid      *actor.PID
	received uint64
}

// shard routes messages to the actors of the destinations that hash to it,
// spawning them on demand and stopping idle ones.
type shard struct {
	dir      *Directory
	children map[string]*child
}

type child struct {
	pid    *actor.PID
	routed uint64 // messages routed to it
}

func newShard(d *Directory) *shard {
	return &shard{dir: d, children: make(map[string]*child)}
}

func (s *shard) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *routed:
		c, ok := s.children[m.dest]
		if !ok {
			d, dest := s.dir, m.dest
			pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newServerActor(d, dest) }))
			c = &child{pid: pid}
			s.children[m.dest] = c
			d.live.Add(1)
		}
		c.routed++
		ctx.Send(c.pid, m.msg)
	case *idle:
		c, ok := s.children[m.dest]
		if !ok || !c.pid.Equal(m.pid) || c.routed != m.received {
			return // something arrived since: the actor goes on
		}
		delete(s.children, m.dest)
		s.dir.live.Add(-1)
		ctx.Stop(c.pid)
	}
}
