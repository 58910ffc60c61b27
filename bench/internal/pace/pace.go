package pace

import (
	"sync/atomic"
	"time"
)

// Late is how long after its time a ticket may be taken before it counts
// as behind schedule.
const Late = 100 * time.Millisecond

// Pacer describes one stream of tickets.
type Pacer struct {
	// Rate is the tickets per second, read before every ticket; it must
	// stay positive.
	Rate func() float64
	// CatchUp hands out the tickets missed while behind back to back;
	// without it the schedule restarts from now, never bursting.
	CatchUp bool
	// Behind counts the tickets taken more than Late after their time.
	Behind *atomic.Int64
}

// Start hands out tickets on a channel with room for buf of them until
// stop closes, then closes the channel.
func (p Pacer) Start(buf int, stop <-chan struct{}) <-chan struct{} {
	tickets := make(chan struct{}, buf)
	go p.run(tickets, stop)
	return tickets
}

func (p Pacer) run(tickets chan<- struct{}, stop <-chan struct{}) {
	defer close(tickets)
	next := time.Now()
	for {
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return
			}
		}
		select {
		case tickets <- struct{}{}:
		case <-stop:
			return
		}
		if time.Since(next) > Late {
			p.Behind.Add(1)
			if !p.CatchUp {
				next = time.Now()
			}
		}
		next = next.Add(time.Duration(float64(time.Second) / p.Rate()))
	}
}

// Next waits for a sender's next ticket: at once when tickets is nil (no
// pacing, as fast as the sender goes). It is false when stop closed or the
// pacer stopped.
func Next(tickets <-chan struct{}, stop <-chan struct{}) bool {
	if tickets == nil {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	select {
	case _, ok := <-tickets:
		return ok
	case <-stop:
		return false
	}
}
