package client

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/persistence"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(d time.Duration, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = start.Add(d)
}

// presenceAPI is an API with presence on whose sweeper is stopped, so the
// test drives sweepPresence at the fake clock's times.
func presenceAPI(t *testing.T, clock *fakeClock) (*API, *persistence.Store) {
	t.Helper()
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true})
	a.StopSyncs()
	return a, st
}

type presenceStep struct {
	at   time.Duration // since the start
	do   string        // "sync" (set_presence=online), "sync-", "unsync", "idle-sync", "send", "sweep", "put-online", "put-unavailable", "put-offline"
	want string        // stored presence after the step
	// active is the stored currently_active after the step; ago is the
	// last_active_ago the client form shows, or -1 for none.
	active bool
	ago    time.Duration
}

func TestPresenceDecay(t *testing.T) {
	const alice = "@alice:hs"
	tests := []struct {
		name  string
		steps []presenceStep
	}{
		{"a poll marks online; an idle poller goes unavailable, then offline once it stops", []presenceStep{
			{0, "sync", presenceOnline, true, 0},
			{30 * time.Second, "unsync", presenceOnline, true, 30 * time.Second},
			{30 * time.Second, "sync", presenceOnline, true, 30 * time.Second},
			{59 * time.Second, "sweep", presenceOnline, true, 59 * time.Second},
			{61 * time.Second, "sweep", presenceOnline, false, 61 * time.Second},
			{4 * time.Minute, "sweep", presenceOnline, false, 4 * time.Minute},
			{5*time.Minute + time.Second, "sweep", presenceUnavailable, false, 5*time.Minute + time.Second},
			{5*time.Minute + 10*time.Second, "unsync", presenceUnavailable, false, 5*time.Minute + 10*time.Second},
			{5*time.Minute + 39*time.Second, "sweep", presenceUnavailable, false, 5*time.Minute + 39*time.Second},
			{5*time.Minute + 41*time.Second, "sweep", presenceOffline, false, 5*time.Minute + 41*time.Second},
		}},
		{"a sync in flight longer than the offline timeout keeps the user", []presenceStep{
			{0, "sync", presenceOnline, true, 0},
			{2 * time.Minute, "sweep", presenceOnline, false, 2 * time.Minute},
			{2 * time.Minute, "unsync", presenceOnline, false, 2 * time.Minute},
			{2*time.Minute + 29*time.Second, "sweep", presenceOnline, false, 2*time.Minute + 29*time.Second},
			{2*time.Minute + 31*time.Second, "sweep", presenceOffline, false, 2*time.Minute + 31*time.Second},
		}},
		{"activity brings an idle user back online; polling alone does not", []presenceStep{
			{0, "sync", presenceOnline, true, 0},
			{6 * time.Minute, "sweep", presenceUnavailable, false, 6 * time.Minute},
			{6 * time.Minute, "unsync", presenceUnavailable, false, 6 * time.Minute},
			{6 * time.Minute, "sync", presenceUnavailable, false, 6 * time.Minute},
			{7 * time.Minute, "send", presenceOnline, true, 0},
			{7*time.Minute + 20*time.Second, "sweep", presenceOnline, true, 20 * time.Second},
			{12*time.Minute + time.Second, "sweep", presenceUnavailable, false, 5*time.Minute + time.Second},
		}},
		{"an offline user who polls again is online with a fresh last_active", []presenceStep{
			{0, "sync", presenceOnline, true, 0},
			{0, "unsync", presenceOnline, true, 0},
			{31 * time.Second, "sweep", presenceOffline, false, 31 * time.Second},
			{40 * time.Second, "send", presenceOffline, false, 40 * time.Second},
			{time.Minute, "sync", presenceOnline, true, 0},
		}},
		{"set_presence=offline and an omitted one do not make the user appear", []presenceStep{
			{0, "sync-offline", "", false, -1},
			{0, "unsync", "", false, -1},
			{0, "sync-", "", false, -1},
			{0, "unsync", "", false, -1},
			{time.Minute, "sweep", "", false, -1},
		}},
		{"set_presence=unavailable marks idle and decays to offline", []presenceStep{
			{0, "idle-sync", presenceUnavailable, false, -1},
			{0, "unsync", presenceUnavailable, false, -1},
			{31 * time.Second, "sweep", presenceOffline, false, -1},
		}},
		{"PUT online without polling times out; PUT offline is at once", []presenceStep{
			{0, "put-online", presenceOnline, true, 0},
			{29 * time.Second, "sweep", presenceOnline, true, 29 * time.Second},
			{31 * time.Second, "sweep", presenceOffline, false, 31 * time.Second},
			{time.Minute, "put-unavailable", presenceUnavailable, false, time.Minute},
			{time.Minute, "sync", presenceUnavailable, false, time.Minute},
			{time.Minute, "put-offline", presenceOffline, false, time.Minute},
			{2 * time.Minute, "unsync", presenceOffline, false, 2 * time.Minute},
			{2 * time.Minute, "sweep", presenceOffline, false, 2 * time.Minute},
		}},
	}
	start := time.Unix(1_700_000_000, 0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			a, st := presenceAPI(t, clock)
			for i, s := range tc.steps {
				clock.set(s.at, start)
				var err error
				switch s.do {
				case "sync":
					err = a.presenceSyncStarted(alice, presenceOnline)
				case "idle-sync":
					err = a.presenceSyncStarted(alice, presenceUnavailable)
				case "sync-offline":
					err = a.presenceSyncStarted(alice, presenceOffline)
				case "sync-":
					err = a.presenceSyncStarted(alice, "")
				case "unsync":
					a.presenceSyncEnded(alice)
				case "send":
					a.presenceActive(alice)
				case "sweep":
					a.sweepPresence()
				case "put-online":
					err = a.setPresence(alice, presenceOnline, nil)
				case "put-unavailable":
					err = a.setPresence(alice, presenceUnavailable, nil)
				case "put-offline":
					err = a.setPresence(alice, presenceOffline, nil)
				default:
					t.Fatalf("step %d: unknown %q", i, s.do)
				}
				if err != nil {
					t.Fatalf("step %d (%s at %v): %v", i, s.do, s.at, err)
				}
				p, err := st.PresenceOf(alice)
				if s.want == "" {
					if err == nil {
						t.Fatalf("step %d (%s at %v): stored %+v, want none", i, s.do, s.at, p)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d (%s at %v): %v", i, s.do, s.at, err)
				}
				if p.Presence != s.want || p.CurrentlyActive != s.active {
					t.Fatalf("step %d (%s at %v): stored %s active=%v, want %s active=%v", i, s.do, s.at, p.Presence, p.CurrentlyActive, s.want, s.active)
				}
				c := a.presenceContent(p)
				ago, has := c["last_active_ago"].(int64)
				switch {
				case s.ago < 0 && has:
					t.Fatalf("step %d (%s at %v): last_active_ago %d, want none", i, s.do, s.at, ago)
				case s.ago >= 0 && (!has || ago != s.ago.Milliseconds()):
					t.Fatalf("step %d (%s at %v): content %v, want last_active_ago %d", i, s.do, s.at, c, s.ago.Milliseconds())
				}
			}
		})
	}
}

// A stored status message survives the automatic changes.
func TestPresenceDecayKeepsStatusMessage(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{now: start}
	a, st := presenceAPI(t, clock)
	msg := "lunch"
	if err := a.setPresence("@bob:hs", presenceOnline, &msg); err != nil {
		t.Fatal(err)
	}
	clock.set(10*time.Minute, start)
	a.sweepPresence()
	p, err := st.PresenceOf("@bob:hs")
	if err != nil || p.Presence != presenceOffline || p.StatusMsg != msg {
		t.Fatalf("after timing out: %+v, %v", p, err)
	}
}

// With presence off nothing is tracked or stored.
func TestPresenceDecayOff(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	a, st := testAPI(t, clock.Now)
	if err := a.presenceSyncStarted("@alice:hs", presenceOnline); err != nil {
		t.Fatal(err)
	}
	a.presenceActive("@alice:hs")
	a.presenceSyncEnded("@alice:hs")
	if _, err := st.PresenceOf("@alice:hs"); err == nil {
		t.Fatal("presence off, yet stored")
	}
	if len(a.presence.users) != 0 {
		t.Fatalf("presence off, yet tracked: %v", a.presence.users)
	}
}

// Local users a previous run left online are tracked on start and go
// offline if no client comes back; remote users are not touched.
func TestPresenceAdoptsStoredAfterRestart(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{now: start}
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	stored := []persistence.Presence{
		{UserID: "@carol:hs", Presence: presenceOnline, CurrentlyActive: true, LastActiveTS: start.UnixMilli()},
		{UserID: "@erin:hs", Presence: presenceUnavailable, LastActiveTS: start.UnixMilli()},
		{UserID: "@dave:other", Presence: presenceOnline, LastActiveTS: start.UnixMilli()},
		{UserID: "@frank:hs", Presence: presenceOffline, LastActiveTS: start.UnixMilli()},
	}
	for _, p := range stored {
		if _, err := st.PutPresence(p); err != nil {
			t.Fatal(err)
		}
	}
	clock.set(time.Hour, start)
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true})
	a.StopSyncs()
	if err := a.presenceSyncStarted("@erin:hs", presenceOnline); err != nil {
		t.Fatal(err)
	}
	clock.set(time.Hour+31*time.Second, start)
	a.sweepPresence()
	want := map[string]string{"@carol:hs": presenceOffline, "@erin:hs": presenceUnavailable, "@dave:other": presenceOnline, "@frank:hs": presenceOffline}
	for id, w := range want {
		if p, err := st.PresenceOf(id); err != nil || p.Presence != w {
			t.Errorf("%s: %+v, %v; want %s", id, p, err, w)
		}
	}
}

// BenchmarkPresenceSweep is one sweeper pass over 10,000 tracked users of
// whom none times out: the steady cost every presenceSweepEvery.
func BenchmarkPresenceSweep(b *testing.B) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{now: start}
	st, err := persistence.Open(b.TempDir(), persistence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true})
	a.StopSyncs()
	for i := range 10_000 {
		a.presence.users[fmt.Sprintf("@u%d:hs", i)] = &presenceLive{state: presenceUnavailable, lastActive: start.UnixMilli(), syncing: 1}
	}
	b.ResetTimer()
	for b.Loop() {
		a.sweepPresence()
	}
}

// BenchmarkPresenceSyncStarted is what a /sync of an online user pays for
// presence (start and end), without a store access.
func BenchmarkPresenceSyncStarted(b *testing.B) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	st, err := persistence.Open(b.TempDir(), persistence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true})
	a.StopSyncs()
	if err := a.presenceSyncStarted("@alice:hs", presenceOnline); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := a.presenceSyncStarted("@alice:hs", presenceOnline); err != nil {
			b.Fatal(err)
		}
		a.presenceSyncEnded("@alice:hs")
	}
}

// presenceHook records the presence sent to federation.
type presenceHook struct {
	mu   sync.Mutex
	sent []persistence.Presence
}

func (h *presenceHook) Typing(string, string, bool)                           {}
func (h *presenceHook) Receipt(string, string, string, string, string, int64) {}
func (h *presenceHook) Presence(p persistence.Presence) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, p)
}

func (h *presenceHook) states() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.sent {
		out = append(out, p.Presence)
	}
	return out
}

// Every change goes to federation, and a user who stays around is sent
// again every presenceFederationPing so that other servers do not time
// them out.
func TestPresenceFederationChangesAndPing(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{now: start}
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hook := &presenceHook{}
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true, Federate: hook})
	a.StopSyncs()
	steps := []struct {
		at   time.Duration
		do   func()
		want []string
	}{
		{0, func() { _ = a.presenceSyncStarted("@alice:hs", presenceOnline) }, []string{"online"}},
		{2 * time.Minute, a.sweepPresence, []string{"online", "online"}}, // currently_active cleared
		{6 * time.Minute, a.sweepPresence, []string{"online", "online", "unavailable"}},
		{30 * time.Minute, a.sweepPresence, []string{"online", "online", "unavailable"}},
		{31*time.Minute + time.Second, a.sweepPresence, []string{"online", "online", "unavailable", "unavailable"}},
		{40 * time.Minute, a.sweepPresence, []string{"online", "online", "unavailable", "unavailable"}},
		{40 * time.Minute, func() { a.presenceSyncEnded("@alice:hs") }, []string{"online", "online", "unavailable", "unavailable"}},
		{41 * time.Minute, a.sweepPresence, []string{"online", "online", "unavailable", "unavailable", "offline"}},
		{90 * time.Minute, a.sweepPresence, []string{"online", "online", "unavailable", "unavailable", "offline"}},
	}
	for i, s := range steps {
		clock.set(s.at, start)
		s.do()
		if got := hook.states(); !slices.Equal(got, s.want) {
			t.Fatalf("step %d at %v: sent %v, want %v", i, s.at, got, s.want)
		}
	}
}

// Remote users no EDU has mentioned for presenceRemoteTimeout go offline;
// news of them restarts the timeout, and local users are left to the
// local rules.
func TestPresenceRemoteTimeout(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{now: start}
	hook := &presenceHook{}
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// An EDU received before this start.
	if _, err := st.PutPresence(persistence.Presence{UserID: "@old:far", Presence: presenceOnline, StatusMsg: "hi", LastActiveTS: 1}); err != nil {
		t.Fatal(err)
	}
	a := New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: clock.Now, UsePresence: true, Federate: hook})
	a.StopSyncs()
	edu := func(userID, state string) func() {
		return func() {
			if _, err := st.PutPresence(persistence.Presence{UserID: userID, Presence: state}); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		at   time.Duration
		do   func()
		want map[string]string
	}{
		{0, a.sweepPresence, map[string]string{"@old:far": presenceOnline}},
		{time.Minute, edu("@new:far", presenceUnavailable), nil},
		{2 * time.Minute, a.sweepPresence, map[string]string{"@new:far": presenceUnavailable}},
		{20 * time.Minute, edu("@old:far", presenceOnline), nil},
		{25 * time.Minute, a.sweepPresence, map[string]string{"@old:far": presenceOnline}},
		{31 * time.Minute, a.sweepPresence, map[string]string{"@old:far": presenceOnline, "@new:far": presenceUnavailable}},
		{32*time.Minute + 5*time.Second, a.sweepPresence, map[string]string{"@old:far": presenceOnline, "@new:far": presenceOffline}},
		{55*time.Minute + 1*time.Second, a.sweepPresence, map[string]string{"@old:far": presenceOffline}},
		{time.Hour, edu("@new:far", presenceOnline), nil},
		{time.Hour, a.sweepPresence, map[string]string{"@new:far": presenceOnline}},
	}
	for i, s := range steps {
		clock.set(s.at, start)
		s.do()
		for id, want := range s.want {
			if p, err := st.PresenceOf(id); err != nil || p.Presence != want {
				t.Fatalf("step %d at %v: %s is %+v, %v; want %s", i, s.at, id, p, err, want)
			}
		}
	}
	if p, _ := st.PresenceOf("@old:far"); p.StatusMsg != "" {
		t.Fatalf("the EDU at 20 min had no status message, yet %+v", p)
	}
	if got := hook.states(); len(got) != 0 {
		t.Fatalf("remote users' presence went to federation: %v", got)
	}
}
