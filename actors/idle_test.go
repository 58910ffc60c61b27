package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// idleProbe is an actor that stays busy for a while, then reports when its
// IdleTimer says it has been quiet for the whole timeout.
type idleProbe struct {
	idle      *IdleTimer
	busyUntil time.Time
	touches   chan struct{}
	retired   chan time.Time
}

func (p *idleProbe) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		p.idle.Start(ctx.Self())
	case string:
		p.idle.Touch()
		p.touches <- struct{}{}
	case IdleTick:
		if p.idle.Tick(time.Now().Before(p.busyUntil)) {
			p.retired <- time.Now()
		}
	case *actor.Stopping:
		p.idle.Stop()
	}
}

func TestIdleTimerWaitsForQuietAndNotBusy(t *testing.T) {
	sys := NewSystem(nil)
	defer sys.Shutdown()
	const timeout = 30 * time.Millisecond
	start := time.Now()
	probe := &idleProbe{
		idle:      NewIdleTimer(sys.Actor.Root, timeout, nil),
		busyUntil: start.Add(100 * time.Millisecond),
		touches:   make(chan struct{}, 16),
		retired:   make(chan time.Time, 2),
	}
	pid := sys.Actor.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return probe }))
	defer sys.Actor.Root.Stop(pid)

	// Activity every 10 ms for 60 ms keeps the actor alive.
	var lastActivity time.Time
	for i := 0; i < 6; i++ {
		sys.Actor.Root.Send(pid, "activity")
		<-probe.touches
		lastActivity = time.Now()
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case at := <-probe.retired:
		if at.Before(probe.busyUntil) {
			t.Errorf("retired %v after start, while still busy", at.Sub(start))
		}
		if at.Sub(lastActivity) < timeout {
			t.Errorf("retired %v after the last activity, before the %v timeout", at.Sub(lastActivity), timeout)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never retired after going quiet")
	}
	select {
	case <-probe.retired:
		t.Error("a retired timer fired again before Start")
	case <-time.After(2 * timeout):
	}
}
