package user

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/persistence"
)

func newTestDirectory(t testing.TB, cfg Config) (*Directory, *persistence.Store) {
	t.Helper()
	st, err := persistence.Open("db", persistence.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	sys := actors.NewSystem(nil)
	cfg.Store = st
	d, err := NewDirectory(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Error(err)
		}
		sys.Shutdown()
		st.Close()
	})
	return d, st
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRegisterLoginLogout(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	c, err := d.Register(ctx(t), Registration{Localpart: "alice", PasswordHash: "H", Login: &LoginOptions{DisplayName: "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(ctx(t), Registration{Localpart: "alice", PasswordHash: "H"}); !errors.Is(err, ErrUserInUse) {
		t.Fatalf("second registration = %v, want ErrUserInUse", err)
	}
	s, err := d.Resolve(c.AccessToken)
	if err != nil || s.Localpart != "alice" || s.DeviceID != c.DeviceID {
		t.Fatalf("resolve = %+v, %v", s, err)
	}
	if _, err := d.Login(ctx(t), "alice", Login{VerifiedHash: "stale"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("login with stale hash = %v, want ErrForbidden", err)
	}
	if _, err := d.Login(ctx(t), "nobody", Login{VerifiedHash: "H"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("login of unknown user = %v, want ErrForbidden", err)
	}
	c2, err := d.Login(ctx(t), "alice", Login{VerifiedHash: "H"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(ctx(t), "alice", Logout{DeviceID: c.DeviceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Resolve(c.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("logged-out token resolves: %v", err)
	}
	if _, err := d.Resolve(c2.AccessToken); err != nil {
		t.Fatalf("other device's token died: %v", err)
	}
	ds, _ := st.Devices("alice")
	if len(ds) != 1 || ds[0].ID != c2.DeviceID {
		t.Fatalf("devices after logout = %+v", ds)
	}
}

func TestLoginWithKnownDeviceRevokesItsOldToken(t *testing.T) {
	d, _ := newTestDirectory(t, Config{})
	c, err := d.Register(ctx(t), Registration{Localpart: "bob", PasswordHash: "H", Login: &LoginOptions{DeviceID: "DEV", DisplayName: "laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = d.Resolve(c.AccessToken) // now cached
	c2, err := d.Login(ctx(t), "bob", Login{VerifiedHash: "H", LoginOptions: LoginOptions{DeviceID: "DEV"}})
	if err != nil || c2.DeviceID != "DEV" {
		t.Fatalf("login = %+v, %v", c2, err)
	}
	if _, err := d.Resolve(c.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("old token of re-used device resolves: %v", err)
	}
}

func TestPasswordChangeAndDeactivation(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	keep, _ := d.Register(ctx(t), Registration{Localpart: "carol", PasswordHash: "H", Login: &LoginOptions{}})
	other, _ := d.Login(ctx(t), "carol", Login{VerifiedHash: "H"})
	if _, err := d.Do(ctx(t), "carol", ChangePassword{NewHash: "H2", LogoutDevices: true, KeepDeviceID: keep.DeviceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Resolve(other.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("other device survived password change: %v", err)
	}
	if _, err := d.Resolve(keep.AccessToken); err != nil {
		t.Fatalf("kept device lost: %v", err)
	}
	if _, err := d.Do(ctx(t), "carol", Deactivate{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Resolve(keep.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("token survived deactivation: %v", err)
	}
	if _, err := d.Login(ctx(t), "carol", Login{VerifiedHash: "H2"}); !errors.Is(err, ErrDeactivated) {
		t.Fatalf("login after deactivation = %v", err)
	}
	if a, _ := st.Account("carol"); !a.Deactivated || a.PasswordHash != "" {
		t.Fatalf("account after deactivation = %+v", a)
	}
}

func TestRefreshRotates(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, _ := newTestDirectory(t, Config{Now: clock})
	c, err := d.Register(ctx(t), Registration{Localpart: "dan", PasswordHash: "H", Login: &LoginOptions{Refresh: true}})
	if err != nil || c.RefreshToken == "" || c.ExpiresIn != DefaultRefreshingAccessTokenLifetime {
		t.Fatalf("register = %+v, %v", c, err)
	}
	mu.Lock()
	now = now.Add(DefaultRefreshingAccessTokenLifetime)
	mu.Unlock()
	if _, err := d.Resolve(c.AccessToken); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token = %v, want ErrTokenExpired", err)
	}
	n, err := d.Refresh(ctx(t), c.RefreshToken)
	if err != nil || n.DeviceID != c.DeviceID || n.RefreshToken == c.RefreshToken {
		t.Fatalf("refresh = %+v, %v", n, err)
	}
	if _, err := d.Resolve(c.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("old access token after refresh = %v", err)
	}
	// The response was lost: the client retries with the old refresh
	// token, which still works and replaces the unused pair.
	n2, err := d.Refresh(ctx(t), c.RefreshToken)
	if err != nil {
		t.Fatalf("retry with the old refresh token: %v", err)
	}
	if _, err := d.Resolve(n.AccessToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("replaced access token = %v", err)
	}
	if _, err := d.Refresh(ctx(t), n.RefreshToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("replaced refresh token = %v", err)
	}
	// First use of the new access token retires the old refresh token.
	if _, err := d.Resolve(n2.AccessToken); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err := d.cfg.Store.RefreshToken(persistence.HashToken(c.RefreshToken)); errors.Is(err, persistence.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("old refresh token not retired after the new access token was used")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := d.Refresh(ctx(t), c.RefreshToken); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("retired refresh token = %v", err)
	}
	// Rotating again with the new refresh token works and keeps the device.
	n3, err := d.Refresh(ctx(t), n2.RefreshToken)
	if err != nil || n3.DeviceID != c.DeviceID {
		t.Fatalf("second rotation = %+v, %v", n3, err)
	}
	if _, err := d.Refresh(ctx(t), n2.RefreshToken); err != nil {
		t.Fatalf("n2 must stay valid until n3 is used: %v", err)
	}
}

// Concurrent registrations of one localpart go through one actor: exactly
// one wins, even while actors passivate underneath.
func TestConcurrentRegistrationSingleWriter(t *testing.T) {
	d, _ := newTestDirectory(t, Config{IdleTimeout: time.Millisecond, Shards: 2})
	for round := range 20 {
		lp := "u" + string(rune('a'+round))
		var wg sync.WaitGroup
		var won, lost int32
		var mu sync.Mutex
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := d.Register(ctx(t), Registration{Localpart: lp, Login: &LoginOptions{}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, ErrUserInUse):
					lost++
				default:
					t.Errorf("register: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || lost != 7 {
			t.Fatalf("%s: %d won, %d lost", lp, won, lost)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for d.Stats().LiveActors != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := d.Stats().LiveActors; n != 0 {
		t.Fatalf("%d idle actors not passivated", n)
	}
}

func TestTokenCacheIsBoundedAndRefusesStaleInsert(t *testing.T) {
	c := newTokenCache(2)
	h := func(b byte) persistence.TokenHash { return persistence.TokenHash{b} }
	_, _, gen := c.get(h(1))
	c.addIf(h(1), persistence.AccessToken{Localpart: "a"}, gen)
	c.addIf(h(2), persistence.AccessToken{Localpart: "b"}, gen)
	c.addIf(h(3), persistence.AccessToken{Localpart: "c"}, gen)
	if st := c.stats(); st.Size != 2 || st.Evictions != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if _, ok, _ := c.get(h(1)); ok {
		t.Fatal("least recently used entry kept")
	}
	_, _, gen = c.get(h(4))
	c.invalidate(h(2))
	c.addIf(h(4), persistence.AccessToken{}, gen) // read before the invalidation
	if _, ok, _ := c.get(h(4)); ok {
		t.Fatal("stale read inserted after an invalidation")
	}
	if _, ok, _ := c.get(h(2)); ok {
		t.Fatal("invalidated entry still cached")
	}
}

func TestStopRefusesNewCommands(t *testing.T) {
	d, _ := newTestDirectory(t, Config{})
	if _, err := d.Register(ctx(t), Registration{Localpart: "eve"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(ctx(t), Registration{Localpart: "frank"}); !errors.Is(err, ErrStopping) {
		t.Fatalf("after stop = %v", err)
	}
}

func TestTouchRecordsLastSeen(t *testing.T) {
	now := time.UnixMilli(5_000_000)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, st := newTestDirectory(t, Config{Now: clock})
	c, err := d.Register(ctx(t), Registration{Localpart: "gil", Login: &LoginOptions{IP: "10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := d.Resolve(c.AccessToken)
	waitSeen := func(ip string, ms int64) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			dev, _ := st.Device("gil", c.DeviceID)
			if dev.LastSeenIP == ip && dev.LastSeenMS == ms {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("last seen = %s at %d, want %s at %d", dev.LastSeenIP, dev.LastSeenMS, ip, ms)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	d.Touch(s, "10.0.0.2")
	waitSeen("10.0.0.2", 5_001_000)
	// Within the interval, a touch is not written again.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	d.Touch(s, "10.0.0.3")
	if _, err := d.Do(ctx(t), "gil", RenameDevice{DeviceID: c.DeviceID, DisplayName: "x"}); err != nil {
		t.Fatal(err) // a round trip: the touch before it has been applied
	}
	waitSeen("10.0.0.2", 5_001_000)
	mu.Lock()
	now = now.Add(touchInterval)
	mu.Unlock()
	d.Touch(s, "10.0.0.4")
	waitSeen("10.0.0.4", 5_002_000+touchInterval.Milliseconds())
}
