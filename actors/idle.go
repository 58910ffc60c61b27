package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// IdleTick is the message an IdleTimer sends its actor.
type IdleTick struct{}

// IdleTimer tells an actor when it has been quiet for a whole timeout, so
// that it can ask its shard to passivate it. It replaces protoactor's
// SetReceiveTimeout, whose timer races with the mailbox at the pinned
// protoactor version (the race detector reports it, see the README's
// Architecture section). The timer fires through the system root, as every
// timer that messages an actor must, and is checked lazily: activity only
// records a time, and a tick that comes too early re-arms for the rest.
//
// An IdleTimer belongs to one actor and is used only from its Receive.
type IdleTimer struct {
	root    *actor.RootContext
	self    *actor.PID
	timeout time.Duration
	now     func() time.Time
	last    time.Time
	timer   *time.Timer
}

// NewIdleTimer returns a timer for the actor self; call Start from its
// *actor.Started handler.
func NewIdleTimer(root *actor.RootContext, timeout time.Duration, now func() time.Time) *IdleTimer {
	if now == nil {
		now = time.Now
	}
	return &IdleTimer{root: root, timeout: timeout, now: now}
}

// Start arms the timer for the actor self.
func (t *IdleTimer) Start(self *actor.PID) {
	t.self = self
	t.last = t.now()
	t.arm(t.timeout)
}

// Touch records activity.
func (t *IdleTimer) Touch() { t.last = t.now() }

// Tick handles an IdleTick. It reports whether the actor has been quiet for
// the whole timeout and is not busy; otherwise it re-arms and reports false.
// After a true answer the timer stays disarmed until Start is called again.
func (t *IdleTimer) Tick(busy bool) bool {
	t.timer = nil
	quiet := t.now().Sub(t.last)
	if busy || quiet < t.timeout {
		t.arm(t.timeout - min(quiet, t.timeout))
		return false
	}
	return true
}

// Stop disarms the timer; call it from the actor's *actor.Stopping handler.
func (t *IdleTimer) Stop() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

func (t *IdleTimer) arm(d time.Duration) {
	root, self := t.root, t.self
	t.timer = time.AfterFunc(max(d, time.Millisecond), func() { root.Send(self, IdleTick{}) })
}
