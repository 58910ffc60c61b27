package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// fakeSender records transactions and fails while told to.
type fakeSender struct {
	mu    sync.Mutex
	fail  bool
	txns  []sentTxn
	tries map[string]int
}

type sentTxn struct {
	dest, id string
	body     federation.Transaction
}

var errDown = errors.New("destination down")

func (f *fakeSender) SendTransaction(_ context.Context, dest, txnID string, body json.RawMessage) (federation.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tries == nil {
		f.tries = map[string]int{}
	}
	f.tries[txnID]++
	if f.fail {
		return federation.SendResult{}, errDown
	}
	var t federation.Transaction
	if err := json.Unmarshal(body, &t); err != nil {
		return federation.SendResult{}, err
	}
	for _, s := range f.txns {
		if s.id == txnID && s.dest == dest {
			return federation.SendResult{}, nil // a resend of a delivered transaction
		}
	}
	f.txns = append(f.txns, sentTxn{dest: dest, id: txnID, body: t})
	return federation.SendResult{}, nil
}

func (f *fakeSender) setFail(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

func (f *fakeSender) snapshot() []sentTxn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentTxn(nil), f.txns...)
}

func (f *fakeSender) attempts(id string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.tries[id] }

func openStore(t testing.TB, dir string) *persistence.Store {
	t.Helper()
	st, err := persistence.Open(dir, persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newDir(t testing.TB, st *persistence.Store, s Sender, mod func(*Config)) *Directory {
	t.Helper()
	cfg := Config{ServerName: "axon.test", Store: st, Sender: s, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	d, err := NewDirectory(actors.NewSystem(nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// queue stores n events and queues each for dest, returning their
// contents in stream order.
func queue(t *testing.T, st *persistence.Store, dest string, n int) []string {
	t.Helper()
	b, err := st.NewRoomBatch()
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for i := range n {
		body := fmt.Sprintf(`{"dest":%q,"n":%d}`, dest, i) // canonical: the server sends PDUs in canonical JSON
		e := persistence.StoredEvent{NID: b.NextNID(), Stream: b.NextStream(), RoomID: "!r:axon.test",
			EventID: fmt.Sprintf("$%s-%d-%d", dest, time.Now().UnixNano(), i), RoomVersion: "10", Raw: []byte(body)}
		b.PutEvent(e)
		b.PutOutbox(dest, e.Stream, e.NID)
		bodies = append(bodies, body)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return bodies
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func pdusOf(txns []sentTxn, dest string) (bodies []string, maxPerTxn int) {
	for _, s := range txns {
		if s.dest != dest {
			continue
		}
		maxPerTxn = max(maxPerTxn, len(s.body.PDUs))
		for _, p := range s.body.PDUs {
			bodies = append(bodies, string(p))
		}
	}
	return bodies, maxPerTxn
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Queued PDUs leave in transactions of at most 50, in stream order, and
// the outbox is empty afterwards.
func TestDeliversOutboxInOrder(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{}
	d := newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	want := map[string][]string{"a.test": queue(t, st, "a.test", 120), "b.test": queue(t, st, "b.test", 3)}
	d.Wake([]string{"a.test", "b.test"})
	for dest, w := range want {
		waitUntil(t, "delivery to "+dest, func() bool { got, _ := pdusOf(s.snapshot(), dest); return len(got) >= len(w) })
		got, most := pdusOf(s.snapshot(), dest)
		if !equalStrings(got, w) {
			t.Errorf("%s received %v, want %v", dest, got, w)
		}
		if most > federation.MaxTransactionPDUs {
			t.Errorf("%s got a transaction of %d PDUs", dest, most)
		}
		waitUntil(t, "an empty outbox", func() bool { rows, _ := st.Outbox(dest, 1); return len(rows) == 0 })
	}
	for _, txn := range s.snapshot() {
		if txn.body.Origin != "axon.test" {
			t.Errorf("origin %q", txn.body.Origin)
		}
	}
}

// A failing destination is retried with the same transaction ID until it
// answers; then the rest follows.
func TestRetrySameTxnID(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{fail: true}
	d := newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	want := queue(t, st, "down.test", 60)
	d.Wake([]string{"down.test"})
	waitUntil(t, "three failed attempts", func() bool { return d.Stats().Failed >= 3 })
	s.setFail(false)
	waitUntil(t, "delivery", func() bool { got, _ := pdusOf(s.snapshot(), "down.test"); return len(got) == len(want) })
	txns := s.snapshot()
	if got, _ := pdusOf(txns, "down.test"); !equalStrings(got, want) {
		t.Fatalf("received %v", got)
	}
	if n := s.attempts(txns[0].id); n < 4 {
		t.Errorf("first transaction %s was tried %d times, want every retry under the same ID", txns[0].id, n)
	}
}

// A transaction in flight when the process stops goes out again under the
// same ID from the new process, followed by everything else queued.
func TestResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	s := &fakeSender{fail: true}
	d := newDir(t, st, s, nil)
	want := queue(t, st, "r.test", 70)
	d.Wake([]string{"r.test"})
	waitUntil(t, "a failed attempt", func() bool { return d.Stats().Failed >= 1 })
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Destination("r.test")
	if err != nil || rec.TxnID == "" || len(rec.Streams) != 50 {
		t.Fatalf("recorded transaction %+v, %v", rec, err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	s.setFail(false)
	d = newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	if err := d.Recover(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "delivery after the restart", func() bool { got, _ := pdusOf(s.snapshot(), "r.test"); return len(got) == len(want) })
	txns := s.snapshot()
	if txns[0].id != rec.TxnID {
		t.Errorf("first transaction after the restart is %s, want the recorded %s", txns[0].id, rec.TxnID)
	}
	if got, _ := pdusOf(txns, "r.test"); !equalStrings(got, want) {
		t.Errorf("received %v", got)
	}
}

// EDUs queued while a destination is down coalesce (latest per room and
// user wins) and are bounded; typing notices are shed once it keeps
// failing.
func TestEDUsCoalesceAndShed(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{fail: true}
	d := newDir(t, st, s, func(c *Config) { c.MaxQueuedEDUs = 8; c.BackoffBase = time.Hour; c.BackoffMax = time.Hour })
	defer d.Stop(context.Background())
	d.SendEDU("e.test", PresenceEDU("@x:axon.test", json.RawMessage(`{"user_id":"@x:axon.test","presence":"online"}`)))
	waitUntil(t, "a failed attempt", func() bool { return d.Stats().Failed >= 1 })
	for i := range 5 {
		d.SendEDU("e.test", ReceiptEDU("!r:axon.test", "m.read", "@u:axon.test", []string{fmt.Sprintf("$%d", i)}, nil))
		d.SendEDU("e.test", PresenceEDU("@x:axon.test", json.RawMessage(fmt.Sprintf(`{"user_id":"@x:axon.test","presence":"online","last_active_ago":%d}`, i))))
	}
	for i := range 12 {
		d.SendEDU("e.test", ReceiptEDU("!r:axon.test", "m.read", fmt.Sprintf("@v%d:axon.test", i), []string{"$e"}, nil))
	}
	waitUntil(t, "EDUs shed", func() bool { return d.Stats().ShedEDUs >= 4 })
	s.setFail(false)
	d.Contacted("e.test")
	waitUntil(t, "delivery", func() bool { return len(s.snapshot()) > 0 })
	var edus []federation.EDU
	for _, txn := range s.snapshot() {
		edus = append(edus, txn.body.EDUs...)
	}
	if len(edus) > 8+1 { // the queue bound, plus the first presence in the failed transaction
		t.Errorf("%d EDUs delivered, want at most 9", len(edus))
	}
	for _, e := range edus {
		if e.Type == "m.receipt" && json.Valid(e.Content) && string(e.Content) != "" {
			var c map[string]map[string]map[string]json.RawMessage
			_ = json.Unmarshal(e.Content, &c)
			if _, stale := c["!r:axon.test"]["m.read"]["@u:axon.test"]; stale {
				t.Errorf("the coalesced receipt of @u survived the queue bound: %s", e.Content)
			}
		}
	}
}

// Coalescing keeps only the newest EDU per key, in arrival order of the
// newest.
func TestEDUQueueCoalesces(t *testing.T) {
	q := newEDUQueue(100)
	for i := range 3 {
		q.push(TypingEDU("!r:a", "@u:a", i%2 == 0))
		q.push(PresenceEDU("@p:a", json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))))
	}
	q.push(EDU{EDU: federation.EDU{Type: "m.direct_to_device", Content: json.RawMessage(`{}`)}})
	q.push(EDU{EDU: federation.EDU{Type: "m.direct_to_device", Content: json.RawMessage(`{}`)}})
	got := q.take(100)
	var types []string
	for _, e := range got {
		types = append(types, e.Type)
	}
	want := []string{"m.typing", "m.presence", "m.direct_to_device", "m.direct_to_device"}
	if !equalStrings(types, want) {
		t.Fatalf("queue holds %v, want %v", types, want)
	}
	if string(got[1].Content) != `{"push":[{"n":2}]}` {
		t.Errorf("presence kept %s, want the latest", got[1].Content)
	}
	if q.len() != 0 {
		t.Errorf("%d left after take", q.len())
	}
}

func TestBackoff(t *testing.T) {
	half := func() float64 { return 0.5 } // factor 1
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 32 * time.Second}, {7, time.Minute}, {40, time.Minute},
	} {
		if got := backoff(tc.failures, time.Second, time.Minute, half); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
	if lo, hi := backoff(3, time.Second, time.Minute, func() float64 { return 0 }), backoff(3, time.Second, time.Minute, func() float64 { return 0.999 }); lo != 2*time.Second || hi < 5*time.Second {
		t.Errorf("jitter range %v..%v, want 2s..~6s", lo, hi)
	}
}

// An actor with nothing to send passivates; new rows start a fresh one.
func TestPassivatesWhenIdle(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := &fakeSender{}
	d := newDir(t, st, s, func(c *Config) { c.IdleTimeout = 10 * time.Millisecond })
	defer d.Stop(context.Background())
	first := queue(t, st, "idle.test", 2)
	d.Wake([]string{"idle.test"})
	waitUntil(t, "delivery", func() bool { got, _ := pdusOf(s.snapshot(), "idle.test"); return len(got) == 2 })
	waitUntil(t, "passivation", func() bool { return d.Stats().LiveActors == 0 })
	second := queue(t, st, "idle.test", 3)
	d.Wake([]string{"idle.test"})
	waitUntil(t, "delivery by a new actor", func() bool { got, _ := pdusOf(s.snapshot(), "idle.test"); return len(got) == 5 })
	if got, _ := pdusOf(s.snapshot(), "idle.test"); !equalStrings(got, append(first, second...)) {
		t.Fatalf("received %v", got)
	}
	// EDU-only transactions record no counter: the next actor's IDs must
	// still be new, or the destination would take them for resends.
	for i := range 2 {
		waitUntil(t, "passivation", func() bool { return d.Stats().LiveActors == 0 })
		d.SendEDU("idle.test", PresenceEDU("@p:axon.test", json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))))
		waitUntil(t, "the EDU", func() bool {
			n := 0
			for _, txn := range s.snapshot() {
				n += len(txn.body.EDUs)
			}
			return n == i+1
		})
	}
	seen := map[string]bool{}
	for _, txn := range s.snapshot() {
		if seen[txn.id] {
			t.Fatalf("transaction ID %s used twice", txn.id)
		}
		seen[txn.id] = true
	}
}
