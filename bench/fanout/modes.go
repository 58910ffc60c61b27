package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/federation/fedtest"
)

// downSet is the destinations the -down mode takes away: ceil(fraction·N)
// of them, spread evenly over the list.
func downSet(n int, fraction float64) []int {
	k := int(fraction*float64(n) + 0.999999)
	k = min(max(k, 0), n)
	out := make([]int, 0, k)
	for i := range k {
		out = append(out, i*n/k)
	}
	return out
}

// downServers takes the down set away at o.downAt for o.downFor (failing
// every request with 503, or holding it open), then brings it back, and
// has each returning server reach the target with an empty transaction, as
// a server coming back would, so the target may retry at once.
func (r *runner) downServers(ctx context.Context, out io.Writer) {
	if !r.sleep(r.o.downAt) {
		return
	}
	set := downSet(len(r.f.peers), r.o.down)
	for _, i := range set {
		if r.o.downMode == downHang {
			r.f.peers[i].Hang()
		} else {
			r.f.peers[i].FailWith(503)
		}
	}
	r.note(out, fmt.Sprintf("%.1fs: %d destinations down (%s)", r.rec.Elapsed().Seconds(), len(set), r.o.downMode))
	t := time.NewTimer(r.o.downFor)
	select {
	case <-t.C:
	case <-r.halt.Done():
		t.Stop()
	}
	for _, i := range set {
		r.f.peers[i].FailWith(0)
		r.f.peers[i].Release()
	}
	r.note(out, fmt.Sprintf("%.1fs: %d destinations back", r.rec.Elapsed().Seconds(), len(set)))
	dest, err := r.w.resolver.Resolve(ctx, r.w.serverName)
	if err != nil {
		r.note(out, "cannot reach the target to announce the return: "+err.Error())
		return
	}
	var failed atomic.Int64
	var wg sync.WaitGroup
	for _, i := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ping(ctx, r.f.peers[i], dest.Addr, r.w.serverName, r.runID); err != nil {
				if failed.Add(1) == 1 {
					r.note(out, "announcing a return failed: "+err.Error())
				}
			}
		}()
	}
	wg.Wait()
	r.note(out, fmt.Sprintf("%.1fs: %d returned destinations reached the target (%d failed)", r.rec.Elapsed().Seconds(), len(set)-int(failed.Load()), failed.Load()))
}

// ping sends an empty transaction from p to the target.
func ping(ctx context.Context, p *fedtest.Peer, addr, target, runID string) error {
	body, _ := json.Marshal(map[string]any{"origin": p.Name, "origin_server_ts": time.Now().UnixMilli(), "pdus": []any{}, "edus": []any{}})
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	status, resp, err := p.Do(c, addr, target, "PUT", "/_matrix/federation/v1/send/back-"+runID+"-"+fmt.Sprint(time.Now().UnixNano()), body, "")
	if err == nil && status != 200 {
		err = fmt.Errorf("%s: %d %s", p.Name, status, resp)
	}
	return err
}

func (r *runner) note(out io.Writer, s string) {
	r.downMu.Lock()
	r.downLog = append(r.downLog, s)
	r.downMu.Unlock()
	fmt.Fprintln(out, s)
}

// rampStep is one step of the ramp: the rate asked for, what was sent and
// delivered, and the delivery latency of the step.
type rampStep struct {
	Rate       float64 `json:"rate"`
	Sent       float64 `json:"sent_per_s"`
	Deliveries float64 `json:"deliveries_per_s"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	Late       int64   `json:"late"`
	SendP99    float64 `json:"send_p99_ms"`
	Pass       bool    `json:"pass"`
	// Why is what failed the step: the delivery p99, deliveries older
	// than the threshold still missing, or the senders falling short of
	// the rate (the target answering sends too slowly).
	Why string `json:"why,omitempty"`
}

// ramp raises the rate by o.rampFactor every o.rampStep until a step's
// delivery p99 passes o.p99, deliveries older than o.p99 are still
// missing, or the senders cannot reach the rate; it returns the last
// passing rate (0 if none passed).
func (r *runner) ramp(out io.Writer) float64 {
	ceiling := 0.0
	r.recv.window.take()
	r.sendWindow.take()
	for {
		sent0, del0 := r.send.Stats().Count, r.recv.delivery.Load().Stats().Count
		if !r.sleep(r.o.rampStep) {
			return ceiling
		}
		h, sh := r.recv.window.take(), r.sendWindow.take()
		_, late := r.outstanding(r.l.since(time.Now()) - int64(r.o.p99))
		st := rampStep{Rate: r.rate(),
			Sent:       float64(r.send.Stats().Count-sent0) / r.o.rampStep.Seconds(),
			Deliveries: float64(r.recv.delivery.Load().Stats().Count-del0) / r.o.rampStep.Seconds(),
			P50:        ms(h.Percentile(50)), P99: ms(h.Percentile(99)), Late: late, SendP99: ms(sh.Percentile(99))}
		switch {
		case h.Count() == 0:
			st.Why = "nothing delivered"
		case h.Percentile(99) > r.o.p99:
			st.Why = "delivery p99 over " + r.o.p99.String()
		case late > 0:
			st.Why = fmt.Sprintf("%d deliveries older than %s missing", late, r.o.p99)
		case st.Sent < 0.9*st.Rate:
			st.Why = fmt.Sprintf("sends fell short of the rate (send p99 %s)", report.Ms(st.SendP99))
		}
		st.Pass = st.Why == ""
		r.steps = append(r.steps, st)
		verdict := "pass"
		if !st.Pass {
			verdict = "FAIL: " + st.Why
		}
		fmt.Fprintf(out, "ramp: %7.1f msg/s asked, %7.1f sent (send p99 %s), %9.0f deliveries/s, p50 %s p99 %s, %d late: %s\n",
			st.Rate, st.Sent, report.Ms(st.SendP99), st.Deliveries, report.Ms(st.P50), report.Ms(st.P99), late, verdict)
		if !st.Pass {
			return ceiling
		}
		ceiling = st.Rate
		r.setRate(st.Rate * r.o.rampFactor)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
