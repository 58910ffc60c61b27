package pace

import (
	"sync/atomic"
	"testing"
	"time"
)

// After a sender stalls, a catching-up pacer hands out the missed tickets
// back to back, and one that does not keeps to the rate from then on;
// both count the late ticket as behind.
func TestStallCatchUp(t *testing.T) {
	const rate, after = 100.0, 20 // 10 ms apart; 20 tickets after a 300 ms stall
	tests := []struct {
		catchUp  bool
		fast     bool // the 20 tickets after the stall come well within their 200 ms
		behindAt int64
	}{
		{catchUp: true, fast: true, behindAt: 1},
		{catchUp: false, fast: false, behindAt: 1},
	}
	for _, tt := range tests {
		var behind atomic.Int64
		stop := make(chan struct{})
		tickets := Pacer{Rate: func() float64 { return rate }, CatchUp: tt.catchUp, Behind: &behind}.Start(0, stop)
		if !Next(tickets, stop) {
			t.Fatal("no first ticket")
		}
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		for range after {
			if !Next(tickets, stop) {
				t.Fatal("tickets ended early")
			}
		}
		took := time.Since(t0)
		close(stop)
		if fast := took < 100*time.Millisecond; fast != tt.fast {
			t.Errorf("catchUp %t: %d tickets after the stall took %s", tt.catchUp, after, took)
		}
		if behind.Load() < tt.behindAt {
			t.Errorf("catchUp %t: behind %d, want at least %d", tt.catchUp, behind.Load(), tt.behindAt)
		}
		for range tickets { // the pacer closes its channel once stopped
		}
	}
}

func TestNext(t *testing.T) {
	open, closed := make(chan struct{}), make(chan struct{})
	close(closed)
	ended := make(chan struct{})
	close(ended)
	ready := make(chan struct{}, 1)
	ready <- struct{}{}
	tests := []struct {
		name    string
		tickets <-chan struct{}
		stop    <-chan struct{}
		want    bool
	}{
		{"unpaced, running", nil, open, true},
		{"unpaced, stopped", nil, closed, false},
		{"ticket ready", ready, open, true},
		{"pacer ended", ended, open, false},
	}
	for _, tt := range tests {
		if got := Next(tt.tickets, tt.stop); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
}
