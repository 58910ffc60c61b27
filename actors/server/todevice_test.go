package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/axonhs/axon/persistence"
)

// queueToDevice durably queues n m.direct_to_device EDUs for dest, as
// http/e2ee does before answering the client, and returns their message
// IDs in order.
func queueToDevice(t *testing.T, st *persistence.Store, dest string, from, n int) []string {
	t.Helper()
	var ids []string
	var q []persistence.QueuedToDevice
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("m%d", i)
		c := fmt.Sprintf(`{"message_id":%q,"messages":{"@u:%s":{"*":{}}},"sender":"@s:axon.test","type":"t"}`, id, dest)
		q = append(q, persistence.QueuedToDevice{Destination: dest, Content: json.RawMessage(c)})
		ids = append(ids, id)
	}
	if _, err := st.QueueToDevice(q, uint64(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	return ids
}

// toDeviceOf lists the message IDs of the m.direct_to_device EDUs dest
// received, in order, and the most EDUs of any one transaction.
func toDeviceOf(t *testing.T, txns []sentTxn, dest string) (ids []string, maxEDUs int) {
	t.Helper()
	for _, s := range txns {
		if s.dest != dest {
			continue
		}
		maxEDUs = max(maxEDUs, len(s.body.EDUs))
		for _, e := range s.body.EDUs {
			if e.Type != "m.direct_to_device" {
				continue
			}
			var c struct {
				MessageID string `json:"message_id"`
			}
			if err := json.Unmarshal(e.Content, &c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.MessageID)
		}
	}
	return ids, maxEDUs
}

func queuedToDevice(t *testing.T, st *persistence.Store, dest string) int {
	t.Helper()
	rows, err := st.ToDeviceOutbox(dest, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// To-device EDUs queued for a destination that is down stay in the
// to-device outbox across a restart, are not shed however many there are
// (the ephemeral queue holds 10 here), go out in order in transactions of
// at most 100 EDUs when it returns, and are deleted once answered.
func TestToDeviceSurvivesRestartAndIsNotShed(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	s := &fakeSender{fail: true}
	small := func(c *Config) { c.MaxQueuedEDUs = 10 }
	d := newDir(t, st, s, small)
	want := queueToDevice(t, st, "r.test", 0, 250)
	d.WakeToDevice([]string{"r.test"})
	for i := range 50 { // ephemeral EDUs compete for the same transactions
		d.SendEDU("r.test", TypingEDU("!r:axon.test", fmt.Sprintf("@u%d:axon.test", i), true))
	}
	waitUntil(t, "a failed attempt", func() bool { return d.Stats().Failed >= 1 })
	want = append(want, queueToDevice(t, st, "r.test", 250, 50)...)
	d.WakeToDevice([]string{"r.test"})
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := queuedToDevice(t, st, "r.test"); n != 300 {
		t.Fatalf("%d to-device rows after the failures, want 300", n)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	s.setFail(false)
	d = newDir(t, st, s, small)
	defer d.Stop(context.Background())
	if err := d.Recover(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "delivery after the restart", func() bool { got, _ := toDeviceOf(t, s.snapshot(), "r.test"); return len(got) >= len(want) })
	got, most := toDeviceOf(t, s.snapshot(), "r.test")
	if !equalStrings(got, want) {
		t.Fatalf("received %d to-device EDUs %v, want %d in order", len(got), got, len(want))
	}
	if most > 100 {
		t.Errorf("a transaction held %d EDUs", most)
	}
	waitUntil(t, "the answered rows deleted", func() bool { return queuedToDevice(t, st, "r.test") == 0 })
}

// While to-device EDUs wait, a flood of ephemeral EDUs does not take all
// of a transaction's EDU slots: they get at least half.
func TestToDeviceNotStarvedByEphemeral(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{fail: true}
	d := newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	for i := range 300 {
		d.SendEDU("f.test", ReceiptEDU("!r:axon.test", "m.read", fmt.Sprintf("@u%d:axon.test", i), []string{"$e"}, nil))
	}
	want := queueToDevice(t, st, "f.test", 0, 60)
	d.WakeToDevice([]string{"f.test"})
	waitUntil(t, "a failed attempt", func() bool { return d.Stats().Failed >= 1 })
	s.setFail(false)
	d.Contacted("f.test")
	waitUntil(t, "every to-device EDU", func() bool { got, _ := toDeviceOf(t, s.snapshot(), "f.test"); return len(got) >= len(want) })
	// Without a share the 300 receipts would fill three transactions
	// after the one that failed before the to-device EDUs got a slot.
	txns := s.snapshot()
	if ids, _ := toDeviceOf(t, txns[:min(3, len(txns))], "f.test"); len(ids) != len(want) {
		t.Errorf("the first three transactions carried %d to-device EDUs, want all %d", len(ids), len(want))
	}
	if got, _ := toDeviceOf(t, txns, "f.test"); !equalStrings(got, want) {
		t.Errorf("received %v", got)
	}
}
