package server

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// batchInterval is the least time between the starts of two transactions
// to one destination: live destinations ÷ TxnRateBudget, capped at
// MaxBatchDelay (Config). Under load every destination waits a little and
// its next transaction carries everything queued meanwhile; a lone busy
// destination waits almost nothing.
func (d *Directory) batchInterval() time.Duration {
	if d.cfg.MaxBatchDelay < 0 {
		return 0
	}
	iv := time.Duration(d.live.Load()) * time.Second / time.Duration(d.cfg.TxnRateBudget)
	return min(iv, d.cfg.MaxBatchDelay)
}

// batchWait is how long the actor should wait before building its next
// transaction: zero when the previous one started at least batchInterval
// ago, or never, or when it left a backlog (its read was full).
func (a *serverActor) batchWait() time.Duration {
	if a.lastBuild.IsZero() || a.backlog {
		return 0
	}
	return a.dir.batchInterval() - a.dir.cfg.Now().Sub(a.lastBuild)
}

func (a *serverActor) armBatch(ctx actor.Context, d time.Duration) {
	if a.batchT != nil {
		return
	}
	root, self := a.dir.root, ctx.Self()
	a.batchT = time.AfterFunc(d, func() { root.Send(self, batchTick{}) })
}
