package user

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/axonhs/axon/actors"
)

// envelope carries one command to one user's actor and the channel its
// result goes back on (buffered, so the actor never blocks replying).
type envelope struct {
	localpart string
	cmd       Command
	reply     chan result
}

type result struct {
	val any
	err error
}

// passivate is sent by an idle user actor to its shard.
type passivate struct {
	localpart string
	pid       *actor.PID
}

// userActor applies commands of one user, one at a time.
type userActor struct {
	st   state
	idle *actors.IdleTimer
}

func (u *userActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		u.idle.Start(ctx.Self())
	case *envelope:
		u.idle.Touch()
		before := u.st.deviceListBefore(m.cmd)
		val, err := u.run(m.cmd)
		if m.reply != nil {
			m.reply <- result{val: val, err: err}
		}
		if err == nil {
			u.st.afterCommand(m.cmd, before)
		}
	case *wake:
		u.st.wakeWaiters(m.eventPos)
	case actors.IdleTick:
		// Parked syncs keep the actor; each unparks within its timeout.
		if !u.idle.Tick(len(u.st.waiters) > 0) {
			return
		}
		// Ask the shard to retire us; it stops routing to this PID first,
		// then poisons it, so queued commands still run here.
		ctx.Send(ctx.Parent(), &passivate{localpart: u.st.localpart, pid: ctx.Self()})
	case *actor.Stopping:
		u.idle.Stop()
	}
}

// run applies cmd, turning a panic (a broken invariant) into an error so
// the waiting caller gets an answer and the actor keeps serving.
func (u *userActor) run(cmd Command) (val any, err error) {
	defer func() {
		if r := recover(); r != nil {
			val, err = nil, fmt.Errorf("%w: panic: %v", ErrInternal, r)
		}
	}()
	return cmd.apply(&u.st)
}
