package server

import (
	"encoding/json"
	"sync"

	"github.com/axonhs/axon/persistence"
)

// pduCache holds the bytes of recently sent PDUs by event NID, shared by
// every destination: an event fanned out to many servers is read from
// Pebble once and its bytes are reused in every transaction (they are
// never modified). Bounded by total bytes, evicting in insertion order.
type pduCache struct {
	mu    sync.Mutex
	max   int
	size  int
	byNID map[uint64]json.RawMessage
	fifo  []uint64
	hits  int64
	miss  int64
}

func newPDUCache(maxBytes int) *pduCache {
	return &pduCache{max: maxBytes, byNID: make(map[uint64]json.RawMessage)}
}

// get returns the PDUs of nids in order, reading the missing ones from
// store. A row whose event is gone is skipped (nil in the result).
func (c *pduCache) get(store *persistence.Store, nids []uint64) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(nids))
	var missing []uint64
	var at []int
	c.mu.Lock()
	for i, nid := range nids {
		if b, ok := c.byNID[nid]; ok {
			out[i] = b
			c.hits++
			continue
		}
		c.miss++
		missing = append(missing, nid)
		at = append(at, i)
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	recs, err := store.EventsByNID(missing)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for j, r := range recs {
		if j >= len(at) {
			break
		}
		raw := json.RawMessage(r.Raw)
		out[at[j]] = raw
		c.put(missing[j], raw)
	}
	return out, nil
}

func (c *pduCache) put(nid uint64, raw json.RawMessage) {
	if _, ok := c.byNID[nid]; ok || len(raw) > c.max {
		return
	}
	for c.size+len(raw) > c.max && len(c.fifo) > 0 {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		c.size -= len(c.byNID[old])
		delete(c.byNID, old)
	}
	c.byNID[nid] = raw
	c.fifo = append(c.fifo, nid)
	c.size += len(raw)
}
