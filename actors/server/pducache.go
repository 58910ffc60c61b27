package server

import (
	"encoding/json"
	"sync"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/canonical"
)

// pduCache holds the bytes of recently sent PDUs by event NID, shared by
// every destination: an event fanned out to many servers is read from
// Pebble and put in canonical JSON once, and its bytes are reused in every
// transaction (they are never modified), which lets the transaction body be
// canonical as written and signed without re-encoding (federation's
// EncodeCanonicalTransaction). An event whose stored bytes cannot be
// canonicalised is kept as stored and marked. Bounded by total bytes,
// evicting in insertion order.
type pduCache struct {
	mu    sync.Mutex
	max   int
	size  int
	byNID map[uint64]cachedPDU
	fifo  []uint64
	hits  int64
	miss  int64
}

type cachedPDU struct {
	raw       json.RawMessage
	canonical bool
}

func newPDUCache(maxBytes int) *pduCache {
	return &pduCache{max: maxBytes, byNID: make(map[uint64]cachedPDU)}
}

// get returns the PDUs of nids in order, reading the missing ones from
// store, and whether all of them are canonical JSON. A row whose event is
// gone is skipped (nil in the result).
func (c *pduCache) get(store *persistence.Store, nids []uint64) ([]json.RawMessage, bool, error) {
	out := make([]json.RawMessage, len(nids))
	allCanonical := true
	var missing []uint64
	var at []int
	c.mu.Lock()
	for i, nid := range nids {
		if p, ok := c.byNID[nid]; ok {
			out[i] = p.raw
			allCanonical = allCanonical && p.canonical
			c.hits++
			continue
		}
		c.miss++
		missing = append(missing, nid)
		at = append(at, i)
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, allCanonical, nil
	}
	recs, err := store.EventsByNID(missing)
	if err != nil {
		return nil, false, err
	}
	loaded := make([]cachedPDU, 0, len(recs))
	for _, r := range recs {
		p := cachedPDU{raw: json.RawMessage(r.Raw)}
		if cb, err := canonical.Canonicalize(r.Raw); err == nil {
			p = cachedPDU{raw: cb, canonical: true}
		}
		loaded = append(loaded, p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for j, p := range loaded {
		if j >= len(at) {
			break
		}
		out[at[j]] = p.raw
		allCanonical = allCanonical && p.canonical
		c.put(missing[j], p)
	}
	return out, allCanonical, nil
}

func (c *pduCache) put(nid uint64, p cachedPDU) {
	if _, ok := c.byNID[nid]; ok || len(p.raw) > c.max {
		return
	}
	for c.size+len(p.raw) > c.max && len(c.fifo) > 0 {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		c.size -= len(c.byNID[old].raw)
		delete(c.byNID, old)
	}
	c.byNID[nid] = p
	c.fifo = append(c.fifo, nid)
	c.size += len(p.raw)
}
