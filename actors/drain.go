package actors

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
)

// Drain asks a shard to stop all its actors after they finish what is
// queued, then stop itself and close Done.
type Drain struct{ Done chan struct{} }

// DrainShards sends Drain to every shard and waits until all have finished
// or ctx is done. Directories call it from their Stop.
func DrainShards(ctx context.Context, root *actor.RootContext, shards []*actor.PID) error {
	dones := make([]chan struct{}, len(shards))
	for i, pid := range shards {
		dones[i] = make(chan struct{})
		root.Send(pid, &Drain{Done: dones[i]})
	}
	for _, done := range dones {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
