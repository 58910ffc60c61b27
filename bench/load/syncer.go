package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
)

// syncFilter asks for long enough timelines that a busy room between two
// polls does not come back "limited" with messages left out (client-server
// API, "Filtering": room.timeline.limit).
const syncFilter = `{"room":{"timeline":{"limit":1000}}}`

// nonceKey is the content field carrying "<run>/<seq>" in every message
// the program sends.
const nonceKey = "axon_bench_nonce"

// tally is what one syncer saw. Only its own goroutine writes it until the
// syncer has stopped.
type tally struct {
	seen       map[int64]int32 // expected messages: times seen
	duplicates int64
	unexpected int64 // messages of this run in rooms the syncer does not watch
	gaps       int64 // limited timelines in watched rooms
	polls      int64
}

// syncLoop long-polls /sync for sy until stop is closed, matching every
// message of this run in the rooms sy watches against the ledger.
func (r *runner) syncLoop(sy *syncer, t *tally) {
	t.seen = make(map[int64]int32)
	timeout := int(r.o.syncTimeout / time.Millisecond)
	for !r.stopping.Load() {
		t0 := time.Now()
		resp, err := r.syncs.Sync(sy.token, sy.since, syncFilter, timeout)
		if err != nil {
			if r.stopping.Load() {
				return
			}
			r.fail(r.syncSeries, err)
			r.pause(err)
			continue
		}
		r.alive()
		now := time.Now()
		r.syncSeries.Observe(now.Sub(t0))
		t.polls++
		if resp.NextBatch != "" {
			sy.since = resp.NextBatch
		}
		for roomID, jr := range resp.Rooms.Join {
			ri, known := r.w.roomIdx[roomID]
			watched := known && sy.expects[ri]
			if watched && jr.Timeline.Limited {
				t.gaps++
			}
			for _, ev := range jr.Timeline.Events {
				seq, ok := r.nonce(ev)
				if !ok {
					continue
				}
				e := r.ledger.get(seq)
				if e == nil {
					continue
				}
				if !watched || int(e.room.Load()) != ri {
					t.unexpected++
					continue
				}
				t.seen[seq]++
				if t.seen[seq] > 1 {
					t.duplicates++
					r.duplicates.Add(1)
					continue
				}
				e.delivered.Add(1)
				d := now.Sub(r.ledger.sentAt(e))
				r.deliverySeries.Observe(d)
				r.perSyncer.Observe(sy.name, d)
			}
		}
	}
}

// nonce is the sequence number of a message this run sent, from its
// content's nonce field.
func (r *runner) nonce(ev mx.Event) (int64, bool) {
	if ev.Type != "m.room.message" || !strings.Contains(string(ev.Content), nonceKey) {
		return 0, false
	}
	var c struct {
		Nonce string `json:"axon_bench_nonce"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return 0, false
	}
	run, seq, ok := strings.Cut(c.Nonce, "/")
	if !ok || run != r.runID {
		return 0, false
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	return n, err == nil
}
