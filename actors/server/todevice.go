package server

import (
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// toDeviceRead is one transaction's read of its destination's durable
// to-device EDUs (persistence.ToDeviceOutbox): up to limit rows from seq
// from; full reports that more may wait (the read was limited, or skipped
// while some may wait); floor is where the next read may start once the
// rows read are deleted: past them, and no further than the seqs visible
// before the read (a lower row may still be committing).
type toDeviceRead struct {
	from  uint64
	limit int
	full  bool
	floor uint64
}

// read returns the rows' seqs and their m.direct_to_device EDUs.
func (r *toDeviceRead) read(store *persistence.Store, dest string) ([]uint64, []federation.EDU, error) {
	if r.limit <= 0 {
		return nil, nil, nil
	}
	visible := persistence.ToDeviceVisible()
	rows, err := store.ToDeviceOutbox(dest, r.from, r.limit)
	if err != nil {
		return nil, nil, err // r.full stays set: the retry reads again
	}
	r.full = len(rows) == r.limit
	r.floor = r.from
	if n := len(rows); n > 0 {
		r.floor = max(r.from, min(rows[n-1].Seq+1, visible))
	}
	seqs := make([]uint64, len(rows))
	edus := make([]federation.EDU, len(rows))
	for i, row := range rows {
		seqs[i] = row.Seq
		edus[i] = federation.EDU{Type: "m.direct_to_device", Content: row.Content}
	}
	return seqs, edus, nil
}

// WakeToDevice tells the destinations' actors that their to-device outbox
// has new rows (after persistence.Store.QueueToDevice). It never blocks.
func (d *Directory) WakeToDevice(destinations []string) {
	for _, dest := range destinations {
		d.route(dest, wakeToDevice{})
	}
}
