package seqlog

import (
	"sync"
	"sync/atomic"
	"testing"
)

type record struct {
	n     atomic.Int64
	cells []int
}

// Concurrent adders get every number once, each record keeps its address
// across growth, and prepare sees every chunk before its records are used.
func TestAddGetAcrossChunks(t *testing.T) {
	var prepared atomic.Int64
	l := New(4, func(chunk []record) {
		prepared.Add(1)
		for i := range chunk {
			chunk[i].cells = make([]int, 2)
		}
	})
	const adders, each = 8, 25
	first := make([]*record, adders*each)
	var wg sync.WaitGroup
	for range adders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				seq, r := l.Add()
				if len(r.cells) != 2 {
					t.Errorf("record %d not prepared", seq)
				}
				r.n.Store(seq)
				first[seq] = r
			}
		}()
	}
	wg.Wait()
	if l.Len() != adders*each || prepared.Load() != adders*each/4 {
		t.Fatalf("len %d, %d chunks prepared", l.Len(), prepared.Load())
	}
	for seq := range l.Len() {
		r := l.Get(seq)
		if r != first[seq] || r.n.Load() != seq {
			t.Fatalf("record %d moved or mixed up: %p %p n=%d", seq, r, first[seq], r.n.Load())
		}
	}
	tests := []int64{-1, l.Len(), l.Len() + 100}
	for _, seq := range tests {
		if l.Get(seq) != nil {
			t.Errorf("Get(%d) of a number never handed out", seq)
		}
	}
}
