package federation

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

type fakeWellKnown struct {
	bodies       map[string]string
	cacheControl string
	calls        atomic.Int32
}

func (f *fakeWellKnown) FetchWellKnown(_ context.Context, host string) ([]byte, string, string, error) {
	f.calls.Add(1)
	b, ok := f.bodies[host]
	if !ok {
		return nil, "", "", errors.New("404")
	}
	return []byte(b), f.cacheControl, "", nil
}

func fakeSRV(records map[string]*net.SRV) SRVLookup {
	return func(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
		if r, ok := records["_"+service+"._"+proto+"."+name]; ok {
			return "", []*net.SRV{r}, nil
		}
		return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
}

func TestResolve(t *testing.T) {
	wk := &fakeWellKnown{bodies: map[string]string{
		"delegated-ip.example":   `{"m.server":"10.0.0.1"}`,
		"delegated-port.example": `{"m.server":"fed.example:1234"}`,
		"delegated-srv.example":  `{"m.server":"srvfed.example"}`,
		"delegated-old.example":  `{"m.server":"oldsrv.example"}`,
		"delegated-none.example": `{"m.server":"plain.example"}`,
		"bad-wellknown.example":  `{"m.server":"bad name!"}`,
	}}
	srv := fakeSRV(map[string]*net.SRV{
		"_matrix-fed._tcp.srvfed.example":        {Target: "target.example.", Port: 5555},
		"_matrix._tcp.oldsrv.example":            {Target: "oldtarget.example.", Port: 6666},
		"_matrix-fed._tcp.srv.example":           {Target: "t2.example.", Port: 7777},
		"_matrix._tcp.oldonly.example":           {Target: "t3.example.", Port: 8888},
		"_matrix-fed._tcp.bad-wellknown.example": {Target: "t4.example.", Port: 9999},
	})
	r := NewResolver(ResolverConfig{
		Overrides: map[string]string{"override.example": "127.0.0.1:4000"},
		LookupSRV: srv,
		WellKnown: wk,
	})
	for _, tc := range []struct {
		name, server string
		want         Destination
	}{
		{"override", "override.example", Destination{Addr: "127.0.0.1:4000", Host: "override.example", SNI: "override.example"}},
		{"1 ipv4 literal", "1.2.3.4", Destination{Addr: "1.2.3.4:8448", Host: "1.2.3.4"}},
		{"1 ipv4 literal with port", "1.2.3.4:99", Destination{Addr: "1.2.3.4:99", Host: "1.2.3.4:99"}},
		{"1 ipv6 literal", "[::1]", Destination{Addr: "[::1]:8448", Host: "[::1]"}},
		{"2 explicit port", "host.example:1000", Destination{Addr: "host.example:1000", Host: "host.example:1000", SNI: "host.example"}},
		{"3.1 well-known ip", "delegated-ip.example", Destination{Addr: "10.0.0.1:8448", Host: "10.0.0.1"}},
		{"3.2 well-known port", "delegated-port.example", Destination{Addr: "fed.example:1234", Host: "fed.example:1234", SNI: "fed.example"}},
		{"3.3 well-known then SRV matrix-fed", "delegated-srv.example", Destination{Addr: "target.example:5555", Host: "srvfed.example", SNI: "srvfed.example"}},
		{"3.4 well-known then SRV matrix", "delegated-old.example", Destination{Addr: "oldtarget.example:6666", Host: "oldsrv.example", SNI: "oldsrv.example"}},
		{"3.5 well-known then 8448", "delegated-none.example", Destination{Addr: "plain.example:8448", Host: "plain.example", SNI: "plain.example"}},
		{"4 SRV matrix-fed", "srv.example", Destination{Addr: "t2.example:7777", Host: "srv.example", SNI: "srv.example"}},
		{"4 invalid well-known falls through", "bad-wellknown.example", Destination{Addr: "t4.example:9999", Host: "bad-wellknown.example", SNI: "bad-wellknown.example"}},
		{"5 SRV matrix", "oldonly.example", Destination{Addr: "t3.example:8888", Host: "oldonly.example", SNI: "oldonly.example"}},
		{"6 port 8448", "nothing.example", Destination{Addr: "nothing.example:8448", Host: "nothing.example", SNI: "nothing.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(context.Background(), tc.server)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Resolve(%s) = %+v, want %+v", tc.server, got, tc.want)
			}
		})
	}
	if _, err := r.Resolve(context.Background(), "bad name"); !errors.Is(err, ErrBadServerName) {
		t.Errorf("invalid server name: err = %v", err)
	}
}

func TestWellKnownCaching(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	wk := &fakeWellKnown{bodies: map[string]string{"a.example": `{"m.server":"b.example:1"}`}, cacheControl: "max-age=600"}
	r := NewResolver(ResolverConfig{LookupSRV: fakeSRV(nil), WellKnown: wk, Now: clock})
	resolve := func(name string) {
		t.Helper()
		if _, err := r.Resolve(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	resolve("a.example")
	resolve("a.example")
	if n := wk.calls.Load(); n != 1 {
		t.Fatalf("fetched %d times within max-age, want 1", n)
	}
	now = now.Add(601 * time.Second)
	resolve("a.example")
	if n := wk.calls.Load(); n != 2 {
		t.Fatalf("fetched %d times after max-age, want 2", n)
	}
	// Failures are cached for an hour.
	resolve("missing.example")
	now = now.Add(59 * time.Minute)
	resolve("missing.example")
	if n := wk.calls.Load(); n != 3 {
		t.Fatalf("failure refetched within the hour: %d calls", n)
	}
	now = now.Add(2 * time.Minute)
	resolve("missing.example")
	if n := wk.calls.Load(); n != 4 {
		t.Fatalf("failure not refetched after the hour: %d calls", n)
	}
}

func TestCacheLifetime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, cc, expires string
		want              time.Duration
	}{
		{"default", "", "", 24 * time.Hour},
		{"max-age", "public, max-age=3600", "", time.Hour},
		{"max-age capped", "max-age=999999999", "", 48 * time.Hour},
		{"expires", "", "Thu, 01 Jan 2026 02:00:00 GMT", 2 * time.Hour},
		{"expires capped", "", "Thu, 01 Jan 2027 00:00:00 GMT", 48 * time.Hour},
		{"max-age beats expires", "max-age=60", "Thu, 01 Jan 2026 02:00:00 GMT", time.Minute},
		{"no-store", "no-store", "", time.Hour},
		{"garbage", "max-age=abc", "yesterday", 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cacheLifetime(tc.cc, tc.expires, now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestResolveOverridesOnly: in a closed network a name outside the address
// map fails at once, and neither .well-known nor SRV is asked.
func TestResolveOverridesOnly(t *testing.T) {
	wk := &fakeWellKnown{bodies: map[string]string{"outside.example": `{"m.server":"127.0.0.1:1"}`}}
	var srvCalls atomic.Int32
	r := NewResolver(ResolverConfig{
		Overrides:     map[string]string{"inside.example": "127.0.0.1:4000"},
		OverridesOnly: true,
		WellKnown:     wk,
		LookupSRV: func(context.Context, string, string, string) (string, []*net.SRV, error) {
			srvCalls.Add(1)
			return "", nil, errors.New("no DNS in a closed network")
		},
	})
	got, err := r.Resolve(context.Background(), "inside.example")
	if err != nil || got.Addr != "127.0.0.1:4000" {
		t.Fatalf("listed name: %+v, %v", got, err)
	}
	if got, err := r.Resolve(context.Background(), "127.0.1.7:8448"); err != nil || got.Addr != "127.0.1.7:8448" {
		t.Errorf("loopback IP literal: %+v, %v", got, err)
	}
	for _, name := range []string{"outside.example", "outside.example:8448", "10.0.0.1", "[2001:db8::1]:8448"} {
		if _, err := r.Resolve(context.Background(), name); !errors.Is(err, ErrNotInAddressMap) {
			t.Errorf("%s: err = %v, want ErrNotInAddressMap", name, err)
		}
	}
	if wk.calls.Load() != 0 || srvCalls.Load() != 0 {
		t.Errorf("closed network looked up .well-known %d times and SRV %d times", wk.calls.Load(), srvCalls.Load())
	}
}
