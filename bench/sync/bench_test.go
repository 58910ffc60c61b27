package sync

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/bench/internal/proc"
	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
)

// wakeProfile names a file for a CPU profile of the measured part of the
// wake-up benchmark only (not its set-up, which registers 1,000 users):
// go test -bench WakeLatency -wakeprofile cpu.prof ./bench/sync. The
// benchmark's own client goroutines carry the label side=client, so
// `go tool pprof -tagfocus side=client` and `-tagignore side=client`
// split the process's CPU into the client's share and the server's.
var wakeProfile = flag.String("wakeprofile", "", "write a CPU profile of the measured wake-up phase to this file")

// clientLabels mark the benchmark's own goroutines in a CPU profile.
var clientLabels = pprof.Labels("side", "client")

// Sizes from the issue: 1,000 rooms of 50 events; 1,000 parked long-polls
// and 500 messages per second.
const (
	initialRooms      = 1000
	eventsPerRoom     = 50
	parkedSyncs       = 1000
	usersPerRoom      = 10
	messagesPerSecond = 500
)

// roomsFixture is a user joined to initialRooms rooms of eventsPerRoom
// events each, served by an in-process Axon.
type roomsFixture struct {
	once  sync.Once
	dir   string
	base  string
	token string
	err   error
}

// initialFixture is filled once per process: the fill costs far more than
// the syncs measured.
var initialFixture roomsFixture

func TestMain(m *testing.M) {
	code := m.Run()
	if initialFixture.dir != "" {
		_ = os.RemoveAll(initialFixture.dir)
	}
	os.Exit(code)
}

// fixture1000Rooms fills initialFixture on first use and returns it.
func fixture1000Rooms(b *testing.B) *roomsFixture {
	f := &initialFixture
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "axon-bench-sync-"); f.err != nil {
			return
		}
		cfg := homeservertest.Config(b, f.dir+"/data")
		key := homeservertest.WriteSigningKey(b, cfg)
		homeservertest.WriteTLSCert(b, cfg)
		start := time.Now()
		fillRooms(b, cfg, key, initialRooms, eventsPerRoom)
		b.Logf("filled %d rooms × %d events in %v", initialRooms, eventsPerRoom, time.Since(start))
		srv := startServerFor(cfg)
		f.base = "http://" + srv
		cli, err := mx.New(f.base, 4, time.Minute)
		if err != nil {
			f.err = err
			return
		}
		defer cli.Close()
		l, err := cli.Register(benchUser, "bench-password-1", false)
		f.token, f.err = l.AccessToken, err
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f
}

// BenchmarkInitialSync1000Rooms measures one initial /sync (default
// timeline limit 10) of a user joined to 1,000 rooms of 50 events each.
func BenchmarkInitialSync1000Rooms(b *testing.B) {
	f := fixture1000Rooms(b)
	cli, err := mx.New(f.base, 2, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	raw, err := cli.DoRaw("GET", "/_matrix/client/v3/sync", f.token, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var check mx.SyncResponse
	if err := json.Unmarshal(raw, &check); err != nil || len(check.Rooms.Join) != initialRooms {
		b.Fatalf("initial sync has %d joined rooms (%v), want %d", len(check.Rooms.Join), err, initialRooms)
	}
	cpu0 := proc.SelfCPU()
	b.ResetTimer()
	for b.Loop() {
		if _, err := cli.DoRaw("GET", "/_matrix/client/v3/sync", f.token, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((proc.SelfCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(len(raw))/1e6, "MB/response")
	b.Logf("load average: %s", proc.LoadAverage())
}

// BenchmarkIncrementalSync1000Rooms measures one incremental /sync with
// nothing new (timeout 0) of the user joined to 1,000 rooms: what a client
// pays each time it comes back after a wake-up before it parks again. It
// should cost what changed since the token, not the user's rooms.
func BenchmarkIncrementalSync1000Rooms(b *testing.B) {
	f := fixture1000Rooms(b)
	cli, err := mx.New(f.base, 2, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	first, err := cli.Sync(f.token, "", "", 0)
	if err != nil {
		b.Fatal(err)
	}
	since := first.NextBatch
	cpu0 := proc.SelfCPU()
	b.ResetTimer()
	for b.Loop() {
		s, err := cli.Sync(f.token, since, "", 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Rooms.Join) != 0 {
			b.Fatalf("incremental sync with nothing new has %d joined rooms", len(s.Rooms.Join))
		}
		since = s.NextBatch
	}
	b.StopTimer()
	b.ReportMetric(float64((proc.SelfCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.Logf("load average: %s", proc.LoadAverage())
}

// BenchmarkIncrementalSync1000RoomsOthersMoved is the same incremental
// sync when the event stream has moved, but in a room the user is not in:
// what each member's next /sync costs on a busy server, where some room
// always moves between two syncs. Every one of the user's 1,000 rooms is
// looked at and found quiet.
func BenchmarkIncrementalSync1000RoomsOthersMoved(b *testing.B) {
	f := fixture1000Rooms(b)
	cli, err := mx.New(f.base, 2, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	first, err := cli.Sync(f.token, "", "", 0)
	if err != nil {
		b.Fatal(err)
	}
	other, err := cli.Register("other", "bench-password-1", false)
	if err != nil {
		b.Fatal(err)
	}
	elsewhere, err := cli.CreateRoom(other.AccessToken, "private_chat")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cli.Send(other.AccessToken, elsewhere, "m.room.message", "elsewhere", []byte(`{"msgtype":"m.text","body":"elsewhere"}`)); err != nil {
		b.Fatal(err)
	}
	since := first.NextBatch
	cpu0 := proc.SelfCPU()
	b.ResetTimer()
	for b.Loop() {
		s, err := cli.Sync(f.token, since, "", 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Rooms.Join) != 0 || s.NextBatch == since {
			b.Fatalf("sync after a move elsewhere: %d joined rooms, next_batch %q (since %q)", len(s.Rooms.Join), s.NextBatch, since)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((proc.SelfCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.Logf("load average: %s", proc.LoadAverage())
}

// BenchmarkWakeLatency1000Parked parks 1,000 long-polls (1,000 users, ten
// to a room) and sends b.N messages at 500 per second (and, for
// comparison, at 100 per second); each op is one
// message. It reports the latency from the start of the send (which
// includes the durable commit) to each member's /sync returning with it,
// and the memory each parked long-poll holds, client side included.
func BenchmarkWakeLatency1000Parked(b *testing.B) {
	for _, rate := range []int{messagesPerSecond, messagesPerSecond / 5} {
		b.Run(fmt.Sprintf("msgs_per_s=%d", rate), func(b *testing.B) { wakeLatency(b, rate) })
	}
}

func wakeLatency(b *testing.B, rate int) {
	base := homeservertest.Start(b, homeservertest.Options{})
	cli, err := mx.New(base, parkedSyncs+50, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	// Sends get their own pool so that parked long-polls never starve them.
	sendCli, err := mx.New(base, 512, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer sendCli.Close()
	sender, err := cli.Register("sender", "bench-password-1", false)
	if err != nil {
		b.Fatal(err)
	}
	rooms := make([]string, parkedSyncs/usersPerRoom)
	if err := parallel.Do(16, len(rooms), func(i int) error {
		rooms[i], err = cli.CreateRoom(sender.AccessToken, "public_chat")
		return err
	}); err != nil {
		b.Fatal(err)
	}
	users := make([]mx.Login, parkedSyncs)
	since := make([]string, parkedSyncs)
	if err := parallel.Do(32, parkedSyncs, func(i int) error {
		l, err := cli.Register(fmt.Sprintf("u%d", i), "bench-password-1", false)
		if err != nil {
			return err
		}
		users[i] = l
		if err := cli.Join(l.AccessToken, rooms[i/usersPerRoom]); err != nil {
			return err
		}
		s, err := cli.Sync(l.AccessToken, "", "", 0)
		if err != nil {
			return err
		}
		since[i] = s.NextBatch
		return nil
	}); err != nil {
		b.Fatal(err)
	}

	// Absorb the set-up (the registrations are device-list changes) so
	// that the measurement sees the steady state.
	if err := parallel.Do(32, parkedSyncs, func(i int) error {
		s, err := cli.Sync(users[i].AccessToken, since[i], pollFilter, 0)
		if err == nil {
			since[i] = s.NextBatch
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		stop      atomic.Bool
		pollers   sync.WaitGroup
		pollErr   atomic.Value
	)
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := range parkedSyncs {
		pollers.Go(func() {
			pprof.Do(context.Background(), clientLabels, func(context.Context) {
				tok := since[i]
				for !stop.Load() {
					s, err := cli.Sync(users[i].AccessToken, tok, pollFilter, 30_000)
					if err != nil {
						pollErr.Store(err)
						return
					}
					now := time.Now()
					tok = s.NextBatch
					for _, jr := range s.Rooms.Join {
						for _, e := range jr.Timeline.Events {
							if sent, ok := sentAt(e); ok {
								mu.Lock()
								latencies = append(latencies, now.Sub(sent))
								mu.Unlock()
							}
						}
					}
				}
			})
		})
	}
	time.Sleep(2 * time.Second) // every poller parked
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	perParked := float64(int64(m1.HeapInuse+m1.StackInuse)-int64(m0.HeapInuse+m0.StackInuse)) / parkedSyncs

	send := func(n int) {
		body, _ := json.Marshal(map[string]any{"msgtype": "m.text", "body": "t=" + strconv.FormatInt(time.Now().UnixNano(), 10)})
		if _, err := sendCli.Send(sender.AccessToken, rooms[n%len(rooms)], "m.room.message", fmt.Sprint("b", n), body); err != nil {
			pollErr.Store(err)
		}
	}
	stopProfile := startWakeProfile(b)
	cpu0 := proc.SelfCPU()
	b.ResetTimer()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	var sends sync.WaitGroup
	for n := range b.N {
		<-tick.C
		sends.Go(func() { pprof.Do(context.Background(), clientLabels, func(context.Context) { send(n) }) })
	}
	tick.Stop()
	sends.Wait()
	want := b.N * usersPerRoom
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(latencies)
		mu.Unlock()
		if n >= want {
			break
		}
	}
	b.StopTimer()
	cpu := proc.SelfCPU() - cpu0
	stopProfile()

	stop.Store(true)
	for i := range rooms { // wake every poller so that it sees stop
		sends.Go(func() { send(b.N + i) })
	}
	sends.Wait()
	pollers.Wait()
	if err, _ := pollErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(latencies) < want {
		b.Fatalf("%d deliveries, want at least %d", len(latencies), want)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(report.Percentile(latencies, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(report.Percentile(latencies, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(perParked, "bytes/parked")
	b.Logf("%d deliveries; load average: %s", len(latencies), proc.LoadAverage())
}

// startWakeProfile starts the -wakeprofile CPU profile, if asked for, and
// returns what stops it.
func startWakeProfile(b *testing.B) func() {
	if *wakeProfile == "" {
		return func() {}
	}
	f, err := os.Create(*wakeProfile)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// pollFilter lets a long-poll carry every message that arrived while its
// user was not parked.
const pollFilter = `{"room":{"timeline":{"limit":100}}}`

// sentAt reads the send time a benchmark message carries.
func sentAt(e mx.Event) (time.Time, bool) {
	if e.Type != "m.room.message" {
		return time.Time{}, false
	}
	var c struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(e.Content, &c) != nil {
		return time.Time{}, false
	}
	ns, ok := strings.CutPrefix(c.Body, "t=")
	if !ok {
		return time.Time{}, false
	}
	v, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, v), true
}
