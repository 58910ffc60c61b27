package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
)

// BenchmarkInboundTransaction: one op is a 50-PDU transaction from a fake
// server (50 chained messages of a joined user) through PUT /send:
// X-Matrix check, format, signature and hash checks, then the room actor's
// auth against auth events, state before and current state, and the
// commit.
func BenchmarkInboundTransaction(b *testing.B) {
	w := newWorld(b, 1)
	join := w.join(0)
	user := "@u:p0.bench"
	prev := join.ID
	txns := make([][]json.RawMessage, b.N)
	for i := range txns {
		for j := range federation.MaxTransactionPDUs {
			ev := w.build(0, "m.room.message", nil, user, fmt.Sprintf(`{"msgtype":"m.text","body":"%d.%d"}`, i, j),
				[]string{prev}, []string{w.create, w.power, join.ID})
			txns[i] = append(txns[i], ev.Raw)
			prev = ev.ID
		}
	}
	cpu0 := proc.SelfCPU()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		w.send(0, fmt.Sprintf("bench-%d", i), txns[i])
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "txns/s")
	b.ReportMetric(float64(b.N*federation.MaxTransactionPDUs)/elapsed.Seconds(), "pdus/s")
	b.ReportMetric(float64((proc.SelfCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(loadAverage(), "load1")
}

// BenchmarkPDUSignatureChecks: one op is federation.CheckPDU on a signed
// message (format, ed25519 signature with a cached key, content hash),
// sequentially and on every processor.
func BenchmarkPDUSignatureChecks(b *testing.B) {
	w := newWorld(b, 1)
	p := w.peer(0)
	ev := w.build(0, "m.room.message", nil, "@u:p0.bench", `{"msgtype":"m.text","body":"check me"}`, []string{w.latest}, []string{w.create, w.power})
	keys := federation.NewKeyring(federation.KeyringConfig{Fetcher: staticKeys{p.KeyResponse()}})
	ctx := context.Background()
	if _, err := federation.CheckPDU(ctx, keys, ev.Raw, w.v); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, parallel bool) {
		cpu0 := proc.SelfCPU()
		start := time.Now()
		b.ResetTimer()
		if parallel {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := federation.CheckPDU(ctx, keys, ev.Raw, w.v); err != nil {
						b.Error(err)
						return
					}
				}
			})
		} else {
			for range b.N {
				if _, err := federation.CheckPDU(ctx, keys, ev.Raw, w.v); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checks/s")
		b.ReportMetric(float64((proc.SelfCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.Run("sequential", func(b *testing.B) { run(b, false) })
	b.Run("parallel", func(b *testing.B) { run(b, true) })
}

type staticKeys struct{ resp []byte }

func (s staticKeys) FetchServerKeys(context.Context, string) ([]byte, error) { return s.resp, nil }
func (s staticKeys) QueryNotary(context.Context, string, []byte) ([]byte, error) {
	return nil, federation.ErrKeyNotFound
}

// BenchmarkOutboundFanout: 100 fake servers have a user in the room; one op
// is a message alice sends, delivered by the server actors to all 100
// destinations (each answers the transaction over loopback TLS).
func BenchmarkOutboundFanout(b *testing.B) {
	const destinations = 100
	w := newWorld(b, destinations)
	for i := range destinations {
		w.join(i)
	}
	room := url.PathEscape(w.roomID)
	base := make([]int64, destinations)
	for i := range destinations {
		base[i] = int64(countPDUs(w.peer(i)))
	}
	cpu0 := proc.SelfCPU()
	sent0 := w.srv.Servers().Stats().Sent
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		w.client("PUT", fmt.Sprintf("/_matrix/client/v3/rooms/%s/send/m.room.message/b%d", room, i),
			map[string]any{"msgtype": "m.text", "body": fmt.Sprint(i)}, nil)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for i := range destinations {
		for int64(countPDUs(w.peer(i))) < base[i]+int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("destination %d got %d of %d", i, countPDUs(w.peer(i))-int(base[i]), b.N)
			}
			time.Sleep(time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	txns := w.srv.Servers().Stats().Sent - sent0
	b.ReportMetric(float64(txns)/elapsed.Seconds(), "txns/s")
	b.ReportMetric(float64(b.N*destinations)/elapsed.Seconds(), "pdu-deliveries/s")
	b.ReportMetric(float64((proc.SelfCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(loadAverage(), "load1")
}

func countPDUs(p *fedtest.Peer) int {
	n := 0
	for _, t := range p.Transactions() {
		n += len(t.PDUs)
	}
	return n
}

// loadAverage is the machine's 1-minute load average, for the figures.
func loadAverage() float64 {
	f, _ := strconv.ParseFloat(strings.Fields(proc.LoadAverage() + " 0")[0], 64)
	return f
}
