package server

import (
	"github.com/axonhs/axon/persistence"
)

// maxAcksPerCommit bounds the answered transactions one commit records.
const maxAcksPerCommit = 256

// acker records answered transactions (deletes their outbox and to-device
// rows, stores their destinations' state) in shared commits: the send goroutines of
// every destination hand it their acknowledgements, and while one commit
// runs the next ones queue and go together in the following one. Under a
// fan-out to hundreds of servers that is a few commits where there were
// thousands per second, which otherwise queue in Pebble's commit pipeline
// ahead of the room batches that answer clients.
type acker struct {
	store *persistence.Store
	in    chan ackReq
	quit  chan struct{}
	done  chan struct{}
}

type ackReq struct {
	ack  persistence.OutboxAck
	done chan error
}

func newAcker(store *persistence.Store) *acker {
	a := &acker{store: store, in: make(chan ackReq, maxAcksPerCommit), quit: make(chan struct{}), done: make(chan struct{})}
	go a.loop()
	return a
}

// ack records one answered transaction and returns once it is committed.
func (a *acker) ack(dest string, streams, toDevice []uint64, st persistence.DestinationState) error {
	r := ackReq{ack: persistence.OutboxAck{Destination: dest, Streams: streams, ToDevice: toDevice, State: st}, done: make(chan error, 1)}
	select {
	case a.in <- r:
	case <-a.quit:
		return ErrStopping
	}
	return <-r.done
}

func (a *acker) loop() {
	defer close(a.done)
	batch := make([]ackReq, 0, maxAcksPerCommit)
	acks := make([]persistence.OutboxAck, 0, maxAcksPerCommit)
	for {
		select {
		case r := <-a.in:
			batch = append(batch[:0], r)
		case <-a.quit:
			return
		}
	more:
		for len(batch) < maxAcksPerCommit {
			select {
			case r := <-a.in:
				batch = append(batch, r)
			default:
				break more
			}
		}
		acks = acks[:0]
		for _, r := range batch {
			acks = append(acks, r.ack)
		}
		err := a.store.AckOutboxes(acks)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// stop ends the loop; callers of ack must have returned.
func (a *acker) stop() {
	close(a.quit)
	<-a.done
}
