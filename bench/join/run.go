package main

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/proc"
)

// errNoTimings reports a join whose "send_join answer verified" log entry
// is missing.
var errNoTimings = errors.New("join: no send_join timings in the server's log")

// split is one join's time, split by phase (see doc.go).
type split struct {
	Total, Resolve, Fetch, Verify, Persist time.Duration
	// CPU is the process's CPU time over the join (Axon, the fake
	// resident's answer and the client together).
	CPU                         time.Duration
	Bytes, StateEvents, Members int
	AuthChainEvents             int
}

func (s split) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("total %s = resolve %s + fetch %s + verify %s + persist %s; CPU %s; answer %.1f MB (%d state, %d auth chain events)",
		ms(s.Total), ms(s.Resolve), ms(s.Fetch), ms(s.Verify), ms(s.Persist), ms(s.CPU),
		float64(s.Bytes)/1e6, s.StateEvents, s.AuthChainEvents)
}

// register creates the user who joins.
func register(a *axon) (*mx.Client, string, error) {
	c, err := mx.New("http://"+a.srv.ClientAddr(), 4, 10*time.Minute)
	if err != nil {
		return nil, "", err
	}
	l, err := c.Register("joiner", "bench password 1", false)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, l.AccessToken, nil
}

// join has the registered user join r through its resident server
// (POST /join/{roomId}?server_name=...) and returns the split.
func join(a *axon, c *mx.Client, token string, r *room) (split, error) {
	cpu0 := proc.SelfCPU()
	start := time.Now()
	path := "/_matrix/client/v3/join/" + url.PathEscape(r.id) + "?server_name=" + url.QueryEscape(r.server)
	err := c.Do("POST", path, token, []byte(`{}`), nil)
	done := time.Now()
	s := split{Total: done.Sub(start), CPU: proc.SelfCPU() - cpu0}
	if err != nil {
		return s, err
	}
	entries := a.logs.FilterMessage("send_join answer verified").All()
	if len(entries) == 0 {
		return s, errNoTimings
	}
	f := entries[len(entries)-1].ContextMap()
	started, _ := f["started"].(time.Time)
	s.Fetch, _ = f["fetch"].(time.Duration)
	s.Verify, _ = f["verify"].(time.Duration)
	s.Bytes = toInt(f["bytes"])
	s.StateEvents, s.AuthChainEvents = toInt(f["state_events"]), toInt(f["auth_chain_events"])
	s.Resolve = started.Sub(start)
	s.Persist = done.Sub(started.Add(s.Fetch + s.Verify))
	return s, nil
}

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// add sums the durations of t into s.
func (s *split) add(t split) {
	s.Total += t.Total
	s.Resolve += t.Resolve
	s.Fetch += t.Fetch
	s.Verify += t.Verify
	s.Persist += t.Persist
	s.CPU += t.CPU
}
