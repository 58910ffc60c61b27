package persistence

import (
	"encoding/json"
	"strconv"
)

// Filters are stored as the JSON the client uploaded, numbered per user:
//
//	f | lp(localpart) | id [8] → filter JSON
func filterKey(localpart string, id uint64) []byte {
	return appendBE64(appendComponent([]byte{prefixFilter}, localpart), id)
}

// Filter returns the filter JSON of localpart with the decimal ID id, or
// ErrNotFound (also for IDs that are not a decimal number).
func (s *Store) Filter(localpart, id string) (json.RawMessage, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || tooLong(localpart) || strconv.FormatUint(n, 10) != id {
		return nil, ErrNotFound
	}
	return s.getRaw(filterKey(localpart, n))
}

// LastFilterID is the largest filter number of localpart, 0 when none.
func (s *Store) LastFilterID(localpart string) (uint64, error) {
	if tooLong(localpart) {
		return 0, nil
	}
	prefix := appendComponent([]byte{prefixFilter}, localpart)
	var last uint64
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if it.SeekLT(prefixEnd(prefix)) && len(it.Key()) == len(prefix)+8 && string(it.Key()[:len(prefix)]) == string(prefix) {
		last = beU64(it.Key()[len(prefix):])
	}
	return last, it.Error()
}

// PutFilter stores filter JSON under number id.
func (b *Batch) PutFilter(localpart string, id uint64, filter json.RawMessage) {
	if b.check(localpart) {
		b.set(filterKey(localpart, id), filter)
	}
}
