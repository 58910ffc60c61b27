package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/report"
)

// setup is a user with one device per sender and the rooms to send into.
type setup struct {
	tokens []string
	rooms  []string
}

func prepare(c *mx.Client, user string, senders, rooms int) (*setup, error) {
	const password = "bench-password-1"
	if _, err := c.Register(user, password, true); err != nil {
		return nil, err
	}
	s := &setup{}
	for range senders {
		l, err := c.Login(user, password)
		if err != nil {
			return nil, err
		}
		s.tokens = append(s.tokens, l.AccessToken)
	}
	for range rooms {
		r, err := c.CreateRoom(s.tokens[0], "private_chat")
		if err != nil {
			return nil, err
		}
		s.rooms = append(s.rooms, r)
	}
	return s, nil
}

// result of one run.
type result struct {
	sends    int
	wall     time.Duration
	cpu      time.Duration
	p50, p99 time.Duration
}

func (r result) perSecond() float64 { return float64(r.sends) / r.wall.Seconds() }

func (r result) String() string {
	return fmt.Sprintf("%d sends in %s: %.0f sends/s, p50 %s, p99 %s, CPU %.0f µs/send",
		r.sends, r.wall.Round(time.Millisecond), r.perSecond(), r.p50, r.p99,
		float64(r.cpu.Microseconds())/float64(max(r.sends, 1)))
}

// run sends until total sends are done (total > 0) or until the deadline,
// each sender cycling over the rooms from its own offset.
func run(c *mx.Client, s *setup, total int, deadline time.Duration, cpu func() time.Duration) (result, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	body := []byte(`{"msgtype":"m.text","body":"benchmark message with a few words in it"}`)
	start, cpu0 := time.Now(), cpu()
	stop := start.Add(deadline)
	for i, tok := range s.tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for k := 0; ; k++ {
				n := next.Add(1)
				if (total > 0 && n > int64(total)) || (total == 0 && time.Now().After(stop)) {
					break
				}
				room := s.rooms[(i+k)%len(s.rooms)]
				t0 := time.Now()
				if _, err := c.Send(tok, room, "m.room.message", fmt.Sprintf("t%d-%d", i, k), body); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{sends: len(lat), wall: time.Since(start), cpu: cpu() - cpu0}
	slices.Sort(lat)
	r.p50, r.p99 = report.Percentile(lat, 50), report.Percentile(lat, 99)
	return r, firstErr
}
