package messages

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	pageSize  = 50
	roomSize  = 100_000
	smallRoom = 600
)

var (
	shared     *fixture
	sharedStop func()
	sharedDir  string
	sharedOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedStop != nil {
		sharedStop()
	}
	if sharedDir != "" {
		_ = os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// bigRoom is the 100,000-event fixture, built once per process.
func bigRoom(b *testing.B) *fixture {
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "axon-bench-messages-")
		if err != nil {
			b.Fatal(err)
		}
		sharedDir = dir
		start := time.Now()
		shared, sharedStop = newFixture(b, filepath.Join(dir, "data"), roomSize)
		b.Logf("filled a room with %d messages in %v (%d pages of %d)", roomSize, time.Since(start), len(shared.tokens), pageSize)
	})
	if shared == nil {
		b.Fatal("fixture failed")
	}
	return shared
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPages requests b.N pages of 50 in direction dir, each from a token
// taken in turn from positions spread over the whole room, and reports
// p50/p99 latency and CPU per page.
func benchPages(b *testing.B, f *fixture, dir string) {
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Skip the oldest positions forwards and the newest backwards so
		// that every page is full.
		tok := f.tokens[(i*7919)%(len(f.tokens)-2)]
		t0 := time.Now()
		p, err := f.page(dir, tok, pageSize)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Chunk) != pageSize || p.End == "" {
			b.Fatalf("page from %s dir %s: %d events, end %q", tok, dir, len(p.Chunk), p.End)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkMessages pages through a 100,000-event room over loopback HTTP.
func BenchmarkMessages(b *testing.B) {
	f := bigRoom(b)
	b.Run("dir=b/limit=50", func(b *testing.B) { benchPages(b, f, "b") })
	b.Run("dir=f/limit=50", func(b *testing.B) { benchPages(b, f, "f") })
}

// TestFixturePagesWholeRoom checks the harness on a small room: the
// backward walk sees every message once, so the benchmark's positions
// cover the room and its pages are what it claims.
func TestFixturePagesWholeRoom(t *testing.T) {
	f, stop := newFixture(t, filepath.Join(t.TempDir(), "data"), smallRoom)
	defer stop()
	seen := map[string]bool{}
	messages := 0
	from := ""
	for {
		p, err := f.page("b", from, pageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Chunk {
			if seen[ev.ID] {
				t.Fatalf("event %s served twice", ev.ID)
			}
			seen[ev.ID] = true
			if ev.Type == "m.room.message" {
				messages++
			}
		}
		if p.End == "" {
			break
		}
		from = p.End
	}
	if messages != smallRoom {
		t.Fatalf("walk saw %d messages, want %d", messages, smallRoom)
	}
	if want := smallRoom / pageSize; len(f.tokens) < want {
		t.Fatalf("%d positions, want at least %d", len(f.tokens), want)
	}
}
