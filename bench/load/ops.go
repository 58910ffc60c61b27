package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/bench/internal/seqlog"
)

// perform runs one operation of kind k and records it. It returns the
// error a failed operation got.
func (r *runner) perform(k kind, rng *rand.Rand) error {
	ri := rng.IntN(len(r.w.rooms))
	rm := &r.w.rooms[ri]
	su := rm.members[rng.IntN(len(rm.members))]
	sender := &r.w.users[su]
	if k == opReceipt && r.lastEvent[ri].Load() == nil {
		k = opMessage // nothing to acknowledge in this room yet
	}
	if k == opJoinLeave {
		return r.joinLeave(ri, rng)
	}
	t0 := time.Now()
	var err error
	switch k {
	case opMessage:
		seq := r.ledger.add(ri, t0)
		e := r.ledger.get(seq)
		nonce := r.runID + "/" + strconv.FormatInt(seq, 10)
		content := fmt.Appendf(nil, `{"msgtype":"m.text","body":"load message %s","%s":"%s"}`, nonce, nonceKey, nonce)
		var id string
		id, err = r.c.Send(sender.token, rm.id, "m.room.message", "load-"+r.runID+"-"+strconv.FormatInt(seq, 10), content)
		if err != nil {
			e.state.Store(seqlog.Failed)
		} else {
			e.state.Store(seqlog.Sent)
			r.lastEvent[ri].Store(&id)
		}
	case opTyping:
		err = r.c.Typing(sender.token, rm.id, sender.id, true, 10_000)
		if err == nil {
			r.typedMu.Lock()
			r.typed[[2]int{ri, su}] = true
			r.typedMu.Unlock()
		}
	case opReceipt:
		err = r.c.Receipt(sender.token, rm.id, *r.lastEvent[ri].Load())
	case opState:
		creator := &r.w.users[rm.members[0]]
		_, err = r.c.SetState(creator.token, rm.id, "m.room.topic", "", fmt.Appendf(nil, `{"topic":"load topic %s/%d"}`, r.runID, r.txn.Add(1)))
	}
	r.record(k, t0, err)
	return err
}

// joinLeave makes a user who is not a fixed member of room ri join it, or
// leave it when the run had made it join before. Fixed members never move,
// so the syncers' expectations hold.
func (r *runner) joinLeave(ri int, rng *rand.Rand) error {
	rm := &r.w.rooms[ri]
	if len(rm.members) == len(r.w.users) {
		r.skipped.Add(1)
		return nil
	}
	var u int
	for {
		u = rng.IntN(len(r.w.users))
		if !rm.member[u] {
			break
		}
	}
	key := [2]int{ri, u}
	r.churnMu.Lock()
	if r.churnBusy[key] {
		r.churnMu.Unlock()
		r.skipped.Add(1)
		return nil
	}
	r.churnBusy[key] = true
	joined := r.churnJoined[key]
	r.churnMu.Unlock()

	t0 := time.Now()
	var err error
	if joined {
		err = r.c.Leave(r.w.users[u].token, rm.id)
	} else {
		err = r.c.Join(r.w.users[u].token, rm.id)
	}
	r.record(opJoinLeave, t0, err)

	r.churnMu.Lock()
	delete(r.churnBusy, key)
	if err == nil {
		r.churnJoined[key] = !joined
	}
	r.churnMu.Unlock()
	return err
}

// stopTyping clears every typing notice the run set, as a client does
// when its user stops typing, so the run leaves no typing state (and no
// pending expiry) behind on the server.
func (r *runner) stopTyping() {
	r.typedMu.Lock()
	pairs := make([][2]int, 0, len(r.typed))
	for p := range r.typed {
		pairs = append(pairs, p)
	}
	r.typedMu.Unlock()
	_ = parallel.Do(min(r.o.concurrency, 16), len(pairs), func(i int) error {
		u := &r.w.users[pairs[i][1]]
		if err := r.c.Typing(u.token, r.w.rooms[pairs[i][0]].id, u.id, false, 0); err != nil {
			r.fail(r.opSeries[opTyping], err)
		}
		return nil
	})
}

// record counts one operation's outcome.
func (r *runner) record(k kind, t0 time.Time, err error) {
	if err != nil {
		r.fail(r.opSeries[k], err)
		return
	}
	r.alive()
	r.opSeries[k].Observe(time.Since(t0))
}
