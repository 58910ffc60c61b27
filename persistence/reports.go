package persistence

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Report is a user's report of an event or a room to the server's admins
// (POST /rooms/{roomId}/report/{eventId} and /rooms/{roomId}/report).
type Report struct {
	ID       uint64 `json:"-"`
	RoomID   string `json:"room_id"`
	EventID  string `json:"event_id,omitempty"` // empty for a room report
	UserID   string `json:"user_id"`
	Reason   string `json:"reason,omitempty"`
	Score    *int   `json:"score,omitempty"`
	Received int64  `json:"received_ts"`
}

// Rows of the 'Q' family: Q | 0 holds the last report ID; Q | 1 | id
// (big-endian uint64) holds a Report.
const (
	reportSeqRow byte = 0
	reportRow    byte = 1
)

func reportKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixReport, reportRow}, id)
}

// AddReport stores r under the next report ID and returns that ID.
func (s *Store) AddReport(r Report) (uint64, error) {
	s.singleUse.Lock()
	defer s.singleUse.Unlock()
	seqKey := []byte{prefixReport, reportSeqRow}
	var last uint64
	val, closer, err := s.db.Get(seqKey)
	switch {
	case err == nil:
		if len(val) != 8 {
			closer.Close()
			return 0, fmt.Errorf("%w: report sequence", ErrCorrupt)
		}
		last = binary.BigEndian.Uint64(val)
		closer.Close()
	case !errors.Is(err, pebble.ErrNotFound):
		return 0, fmt.Errorf("persistence: get: %w", err)
	}
	id := last + 1
	b := s.NewBatch()
	b.set(seqKey, binary.BigEndian.AppendUint64(nil, id))
	b.setJSON(reportKey(id), r)
	return id, b.Commit()
}

// Reports returns up to limit reports with IDs above after, oldest first
// (Synapse's admin API GET /_synapse/admin/v1/event_reports pages the same
// way with from).
func (s *Store) Reports(after uint64, limit int) ([]Report, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: reportKey(after + 1), UpperBound: prefixEnd([]byte{prefixReport, reportRow}),
	})
	if err != nil {
		return nil, fmt.Errorf("persistence: listing reports: %w", err)
	}
	defer it.Close()
	var out []Report
	for it.First(); it.Valid() && len(out) < limit; it.Next() {
		k := it.Key()
		if len(k) != 10 {
			return nil, fmt.Errorf("%w: report key", ErrCorrupt)
		}
		var r Report
		if err := json.Unmarshal(it.Value(), &r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		r.ID = binary.BigEndian.Uint64(k[2:])
		out = append(out, r)
	}
	return out, it.Error()
}
