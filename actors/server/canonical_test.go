package server

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
)

// signingSender signs every transaction as federation.Client does, then
// drops it: the CPU cost of a delivery without the network. Its canonical
// method is the fast path; plainSender hides it.
type signingSender struct {
	key        signing.KeyPair
	marker     []byte
	pdus, txns atomic.Int64
	canonical  atomic.Int64
	mu         sync.Mutex
	bodies     []string
}

// count counts the PDUs of a body by a byte pattern every PDU of the test
// holds once (decoding it would cost more than what is measured).
func (s *signingSender) count(body []byte) {
	s.pdus.Add(int64(bytes.Count(body, s.marker)))
	s.txns.Add(1)
}

func (s *signingSender) SendTransaction(_ context.Context, dest, txnID string, body json.RawMessage) (federation.SendResult, error) {
	raw, err := json.Marshal(body) // as Client.call encodes its body
	if err != nil {
		return federation.SendResult{}, err
	}
	if _, err := federation.SignRequest(s.key, "axon.test", dest, "PUT", "/_matrix/federation/v1/send/"+txnID, raw); err != nil {
		return federation.SendResult{}, err
	}
	s.count(body)
	return federation.SendResult{}, nil
}

func (s *signingSender) SendCanonicalTransaction(_ context.Context, dest, txnID string, body []byte) (federation.SendResult, error) {
	federation.SignCanonicalRequest(s.key, "axon.test", dest, "PUT", "/_matrix/federation/v1/send/"+txnID, body)
	s.canonical.Add(1)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	s.count(body)
	return federation.SendResult{}, nil
}

type plainSender struct{ s *signingSender }

func (p plainSender) SendTransaction(ctx context.Context, dest, txnID string, body json.RawMessage) (federation.SendResult, error) {
	return p.s.SendTransaction(ctx, dest, txnID, body)
}

func newSigningSender(t testing.TB, marker string) *signingSender {
	k, err := signing.GenerateKey("b")
	if err != nil {
		t.Fatal(err)
	}
	return &signingSender{key: k, marker: []byte(marker)}
}

// With a CanonicalSender, transactions go out canonical: stored bytes in
// another key order are put in canonical form once, and the body is
// written around them.
func TestCanonicalBodies(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := newSigningSender(t, `"dest"`)
	d := newDir(t, st, s, nil)
	defer d.Stop(context.Background())
	queue(t, st, "c.test", 3)
	d.Wake([]string{"c.test"})
	waitUntil(t, "delivery", func() bool { return s.pdus.Load() == 3 })
	s.mu.Lock()
	body := s.bodies[0]
	s.mu.Unlock()
	want, _ := federation.EncodeCanonicalTransaction("axon.test", 0, []json.RawMessage{
		json.RawMessage(`{"dest":"c.test","n":0}`), json.RawMessage(`{"dest":"c.test","n":1}`), json.RawMessage(`{"dest":"c.test","n":2}`)}, nil)
	if len(body) < 40 || body[len(body)-40:] != string(want[len(want)-40:]) {
		t.Errorf("canonical body %s, want the shape of %s", body, want)
	}
	if s.canonical.Load() != 1 || s.txns.Load() != 1 {
		t.Errorf("%d canonical of %d transactions, want 1 of 1", s.canonical.Load(), s.txns.Load())
	}
}

// NoCanonicalBodies sends through SendTransaction even to a
// CanonicalSender.
func TestNoCanonicalBodies(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	s := newSigningSender(t, `"dest"`)
	d := newDir(t, st, s, func(c *Config) { c.NoCanonicalBodies = true })
	defer d.Stop(context.Background())
	queue(t, st, "c.test", 3)
	d.Wake([]string{"c.test"})
	waitUntil(t, "delivery", func() bool { return s.pdus.Load() == 3 })
	if s.canonical.Load() != 0 {
		t.Errorf("%d transactions took the canonical path", s.canonical.Load())
	}
}

// BenchmarkFanoutEncoding compares, in the same run, the cost of a PDU
// delivery through the ordinary path (json.Marshal of the body, then
// SignRequest re-encoding it canonically) and the canonical path (the body
// written canonical once, signed as it is): one op is one message queued
// for 100 destinations and sent to all of them, signed but not put on the
// network. Outbox reads, Pebble writes and the actors are included.
func BenchmarkFanoutEncoding(b *testing.B) {
	const dests = 100
	for _, variant := range []string{"reencode", "canonical"} {
		b.Run(variant, func(b *testing.B) {
			st := openStore(b, b.TempDir())
			defer st.Close()
			s := newSigningSender(b, `"m.room.message"`)
			var sender Sender = s
			if variant == "reencode" {
				sender = plainSender{s}
			}
			names := make([]string, dests)
			for i := range names {
				names[i] = "d" + itoa(uint64(i)) + ".test"
			}
			content := make([]byte, 0, 900)
			content = append(content, `{"content":{"body":"`...)
			for range 800 {
				content = append(content, 'x')
			}
			content = append(content, `","msgtype":"m.text"},"type":"m.room.message"}`...)
			const perBatch = 50
			for done := 0; done < b.N; done += perBatch {
				rb, err := st.NewRoomBatch()
				if err != nil {
					b.Fatal(err)
				}
				for i := done; i < min(done+perBatch, b.N); i++ {
					e := persistence.StoredEvent{NID: rb.NextNID(), Stream: rb.NextStream(), RoomID: "!r:axon.test",
						EventID: "$e" + itoa(uint64(i)), RoomVersion: "10", Raw: content}
					rb.PutEvent(e)
					for _, n := range names {
						rb.PutOutbox(n, e.Stream, e.NID)
					}
				}
				if err := rb.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			d := newDir(b, st, sender, nil)
			defer d.Stop(context.Background())
			cpu0 := selfCPU()
			b.ResetTimer()
			start := time.Now()
			d.Wake(names)
			for s.pdus.Load() < int64(b.N*dests) {
				time.Sleep(time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*dests)/el.Seconds(), "deliveries/s")
			b.ReportMetric(float64((selfCPU()-cpu0).Nanoseconds())/float64(b.N*dests), "cpu-ns/delivery")
			b.ReportMetric(float64(s.pdus.Load())/float64(max(s.txns.Load(), 1)), "pdus/txn")
		})
	}
}

// selfCPU is the process's user and system CPU time (getrusage).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFanoutTrickle compares, in the same run, transactions without
// the batch delay and with the default one, when messages arrive one at a
// time (every 2 ms, 500 messages/s) for 100 destinations, as a busy room's
// do: one op is one message delivered to all 100 (signed through the
// canonical path, not put on the network).
func BenchmarkFanoutTrickle(b *testing.B) {
	const dests = 100
	for _, variant := range []struct {
		name  string
		delay time.Duration
	}{{"no-delay", -1}, {"default-delay", 0}} {
		b.Run(variant.name, func(b *testing.B) {
			st := openStore(b, b.TempDir())
			defer st.Close()
			s := newSigningSender(b, `"m.room.message"`)
			names := make([]string, dests)
			for i := range names {
				names[i] = "d" + itoa(uint64(i)) + ".test"
			}
			d := newDir(b, st, s, func(c *Config) { c.MaxBatchDelay = variant.delay })
			defer d.Stop(context.Background())
			content := []byte(`{"content":{"body":"` + string(bytes.Repeat([]byte("x"), 800)) + `","msgtype":"m.text"},"type":"m.room.message"}`)
			cpu0 := selfCPU()
			b.ResetTimer()
			start := time.Now()
			tick := time.NewTicker(2 * time.Millisecond)
			for i := range b.N {
				<-tick.C
				rb, err := st.NewRoomBatch()
				if err != nil {
					b.Fatal(err)
				}
				e := persistence.StoredEvent{NID: rb.NextNID(), Stream: rb.NextStream(), RoomID: "!r:axon.test",
					EventID: "$t" + itoa(uint64(i)), RoomVersion: "10", Raw: content}
				rb.PutEvent(e)
				for _, n := range names {
					rb.PutOutbox(n, e.Stream, e.NID)
				}
				if err := rb.Commit(); err != nil {
					b.Fatal(err)
				}
				d.Wake(names)
			}
			tick.Stop()
			for s.pdus.Load() < int64(b.N*dests) {
				time.Sleep(time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*dests)/el.Seconds(), "deliveries/s")
			b.ReportMetric(float64((selfCPU()-cpu0).Nanoseconds())/float64(b.N*dests), "cpu-ns/delivery")
			b.ReportMetric(float64(s.pdus.Load())/float64(max(s.txns.Load(), 1)), "pdus/txn")
		})
	}
}
