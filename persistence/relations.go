package persistence

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"
)

// Relation is one child of a parent event in the relations index.
type Relation struct {
	RelType  string
	Stream   uint64
	ChildNID uint64
}

// Relations lists the children of parentID (client-server-api "Relationships
// between events"), of relType or of every type when relType is "",
// in stream order (newest first when backwards), only those with a stream
// position past from (before it when backwards; from 0 means from the
// start, or the end backwards) and up to the visible watermark, at most
// limit of them.
func (s *Store) Relations(parentID, relType string, from uint64, backwards bool, limit int) ([]Relation, error) {
	if len(parentID) > maxKeyComponentBytes || len(relType) > maxKeyComponentBytes {
		return nil, nil
	}
	visible, err := s.StreamPosition()
	if err != nil {
		return nil, err
	}
	p := relationsPrefix(parentID)
	if relType != "" {
		p = appendComponent(p, relType)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("persistence: iterating: %w", err)
	}
	defer it.Close()
	var all []Relation
	base := len(relationsPrefix(parentID))
	for ok := it.First(); ok; ok = it.Next() {
		typ, rest, ok := splitComponent(it.Key()[base:])
		if !ok || len(rest) != 8 || len(it.Value()) != 8 {
			return nil, fmt.Errorf("%w: relation key", ErrCorrupt)
		}
		r := Relation{RelType: typ, Stream: binary.BigEndian.Uint64(rest), ChildNID: binary.BigEndian.Uint64(it.Value())}
		if r.Stream > visible {
			continue
		}
		if from != 0 && ((backwards && r.Stream >= from) || (!backwards && r.Stream <= from)) {
			continue
		}
		all = append(all, r)
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if backwards {
			return all[i].Stream > all[j].Stream
		}
		return all[i].Stream < all[j].Stream
	})
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}
