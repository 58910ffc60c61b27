package room

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/persistence"
)

// BenchmarkFlush compares committing each batch inside Receive with
// committing it in a goroutine while the actor applies the next proposals
// (Config.PipelineCommits), on the real file system with fsync, for
// concurrent proposers into one room and spread over 100 rooms.
func BenchmarkFlush(b *testing.B) {
	for _, shape := range []struct{ rooms, senders int }{{1, 16}, {1, 64}, {100, 64}} {
		for _, pipeline := range []bool{false, true} {
			mode := "inline"
			if pipeline {
				mode = "pipelined"
			}
			b.Run(fmt.Sprintf("rooms=%d/senders=%d/%s", shape.rooms, shape.senders, mode), func(b *testing.B) {
				benchFlush(b, shape.rooms, shape.senders, pipeline)
			})
		}
	}
}

func benchFlush(b *testing.B, rooms, senders int, pipeline bool) {
	st, err := persistence.Open(b.TempDir(), persistence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	sys := actors.NewSystem(nil)
	d, err := NewDirectory(sys, Config{Store: st, Signer: testSigner(b), PipelineCommits: pipeline})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = d.Stop(ctxT(b))
		sys.Shutdown()
		st.Close()
	}()
	ids := make([]string, rooms)
	for i := range ids {
		ids[i] = createRoom(b, d, "11")
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := s; ; k++ {
				if next.Add(1) > int64(b.N) {
					return
				}
				if _, err := d.Propose(ctxT(b), ids[k%rooms], message("bench"), nil); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(d.Stats().Flushes), "flushes")
}
