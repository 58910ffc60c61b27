package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/bench/internal/cli"
	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/federation/fedtest"
)

// target is an in-process Axon federating with the synthetic servers: it
// trusts their CA (written to caFile first) and reaches named servers
// through its address map; IP-literal loopback names need no entry.
type target struct {
	url, fed string
	srv      *homeserver.Server
	once     sync.Once
}

func startTarget(t testing.TB, caFile string, overrides map[string]string, secret string) *target {
	return startTargetWith(t, caFile, overrides, func(cfg *configs.Config) { cfg.RegistrationSharedSecret = secret })
}

// startTargetWith is startTarget with the configuration adjusted by mod.
func startTargetWith(t testing.TB, caFile string, overrides map[string]string, mod func(*configs.Config)) *target {
	t.Helper()
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, hub.CAKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	hub.Close()
	dir := t.TempDir()
	cfg := homeservertest.Config(t, dir)
	cfg.ServerName = "axon.fanout"
	cfg.FederationCAFile = caFile
	cfg.FederationAddresses = overrides
	mod(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	homeservertest.WriteSigningKey(t, cfg)
	homeservertest.WriteTLSCert(t, cfg)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	tg := &target{url: "http://" + srv.ClientAddr(), fed: srv.FederationAddr(), srv: srv}
	t.Cleanup(func() { tg.stop(t) })
	return tg
}

func (tg *target) stop(t testing.TB) {
	tg.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := tg.srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
}

// freePort finds a port free on ip.
func freePort(t testing.TB, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("%s is not usable here: %v", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func smokeOptions(tg *target, dir string) *options {
	return &options{
		target: tg.url, fedAddr: tg.fed, insecure: true, servers: 20, names: namesIP, ipBase: "127.0.3.1",
		caFile: filepath.Join(dir, "ca.pem"), senders: 3, rate: 40, duration: 2 * time.Second, drain: 20 * time.Second,
		Common: cli.Common{GiveUp: 10 * time.Second, Password: "smoke-password", Prefix: "smoke", PID: os.Getpid(),
			JSONPath: filepath.Join(dir, "fanout.json"), HTMLPath: filepath.Join(dir, "fanout.html"), Progress: time.Second},
		verifyEvery: 3, joinWidth: 4, probeGap: 10 * time.Millisecond, rampFactor: 1.5, rampStep: time.Second, p99: time.Second, downMode: downFail,
	}
}

func checkExactlyOnce(t *testing.T, sum *report.Summary, out string) {
	t.Helper()
	c := sum.Counts
	if c["messages sent"] == 0 || c["deliveries expected"] != c["messages sent"]*c["destinations"] {
		t.Fatalf("nothing sent, or expectations off: %v\n%s", c, out)
	}
	if c["deliveries missing"] != 0 || c["deliveries duplicated"] != 0 || c["deliveries out of order"] != 0 || c["deliveries"] != c["deliveries expected"] {
		t.Errorf("deliveries: %v\n%s", c, out)
	}
	if c["X-Matrix signatures verified"] == 0 || c["PDU checks passed"] == 0 || c["PDU checks failed"] != 0 || c["X-Matrix signatures refused"] != 0 {
		t.Errorf("signature checks: %v", c)
	}
}

// TestSmokeExactlyOnce: 20 IP-literal servers join over federation; every
// message the target answered 200 reaches each exactly once, in order; the
// JSON and HTML outputs are written.
func TestSmokeExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	tg := startTarget(t, filepath.Join(dir, "ca.pem"), nil, "")
	o := smokeOptions(tg, dir)
	o.port = freePort(t, o.ipBase)
	var out strings.Builder
	sum, err := run(context.Background(), o, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	checkExactlyOnce(t, sum, out.String())
	if sum.Server == nil || sum.Server.CPUSeconds <= 0 || sum.Server.RSSMaxBytes <= 0 {
		t.Errorf("server figures: %+v", sum.Server)
	}
	if len(sum.Distributions) != 1 || len(sum.Distributions[0].Keys) != 20 {
		t.Errorf("per-destination distribution: %+v", sum.Distributions)
	}
	var back report.Summary
	b, err := os.ReadFile(o.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Outcome != "ok" || back.Counts["deliveries"] != sum.Counts["deliveries"] {
		t.Errorf("JSON summary: %v, outcome %q", err, back.Outcome)
	}
	page, err := os.ReadFile(o.HTMLPath)
	if err != nil || !strings.Contains(string(page), "<svg") || !strings.Contains(string(page), "delivery latency by destination") {
		t.Errorf("HTML report missing or without charts: %v", err)
	}
}

// TestSmokeDownServers: a quarter of 12 named servers fail, then hang in a
// second run, for a second and come back; they still get every message,
// in order, once.
func TestSmokeDownServers(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t, "127.0.0.1")
	listen := "127.0.0.1:" + strconv.Itoa(port)
	overrides := map[string]string{}
	for i := range 12 {
		overrides[fmt.Sprintf("s%d.fanout.test", i)] = listen
	}
	tg := startTarget(t, filepath.Join(dir, "ca.pem"), overrides, "")
	for _, mode := range []string{downFail, downHang} {
		o := smokeOptions(tg, dir)
		o.servers, o.names, o.listen = 12, namesNamed, listen
		o.Prefix = "down" + mode
		o.duration, o.down, o.downMode, o.downAt, o.downFor = 2*time.Second, 0.25, mode, 400*time.Millisecond, time.Second
		var out strings.Builder
		sum, err := run(context.Background(), o, &out)
		if err != nil {
			t.Fatalf("%s: run: %v\n%s", mode, err, out.String())
		}
		checkExactlyOnce(t, sum, out.String())
		if !strings.Contains(out.String(), "3 destinations down") || !strings.Contains(out.String(), "3 returned destinations reached the target (0 failed)") {
			t.Errorf("%s: no destinations went down, or they could not announce their return:\n%s", mode, out.String())
		}
	}
}

// Bad input ends with a clear error, and the JSON summary says why.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	tg := startTarget(t, filepath.Join(dir, "ca.pem"), nil, "right secret")
	dead := "http://127.0.0.1:" + strconv.Itoa(freePort(t, "127.0.0.1"))
	busy, err := net.Listen("tcp", "127.0.3.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		mod  func(*options)
		want string
	}{
		{"wrong URL", func(o *options) { o.target = dead }, "does not answer"},
		{"not a URL", func(o *options) { o.target = "ftp:/x" }, "-target"},
		{"wrong shared secret", func(o *options) { o.SharedSecret = "wrong" }, "shared-secret registration"},
		{"port in use", func(o *options) { o.port = busy.Addr().(*net.TCPAddr).Port }, "in use"},
		{"bad fraction", func(o *options) { o.down = 2 }, "-down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smokeOptions(tg, t.TempDir())
			o.port = freePort(t, o.ipBase)
			tc.mod(o)
			var out strings.Builder
			_, err := run(context.Background(), o, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one mentioning %q\n%s", err, tc.want, out.String())
			}
			if errors.Is(err, ErrOptions) {
				return
			}
			var back report.Summary
			b, rerr := os.ReadFile(o.JSONPath)
			if rerr != nil || json.Unmarshal(b, &back) != nil || back.Outcome == "ok" || back.Outcome == "" {
				t.Errorf("JSON summary after the failure: %v %s", rerr, b)
			}
		})
	}
}

// A homeserver that refuses open registration is named as the cause.
func TestRegistrationRefused(t *testing.T) {
	dir := t.TempDir()
	tg := startTargetWith(t, filepath.Join(dir, "ca.pem"), nil, func(cfg *configs.Config) { cfg.EnableRegistration = false })
	o := smokeOptions(tg, dir)
	o.port = freePort(t, o.ipBase)
	var out strings.Builder
	_, err := run(context.Background(), o, &out)
	if err == nil || !strings.Contains(err.Error(), "registration") || !strings.Contains(err.Error(), "-shared-secret") {
		t.Fatalf("err %v, want a refused registration that suggests -shared-secret", err)
	}
}

// A target that stops in the middle of the run ends it with ErrTargetDown
// after -give-up, with what was measured written out.
func TestTargetStopsMidRun(t *testing.T) {
	dir := t.TempDir()
	tg := startTarget(t, filepath.Join(dir, "ca.pem"), nil, "")
	o := smokeOptions(tg, dir)
	o.port = freePort(t, o.ipBase)
	o.servers, o.duration, o.GiveUp = 5, 20*time.Second, time.Second
	o.phaseHook = func(begin bool) {
		if begin {
			time.AfterFunc(700*time.Millisecond, func() { tg.stop(t) })
		}
	}
	var out strings.Builder
	start := time.Now()
	sum, err := run(context.Background(), o, &out)
	if !errors.Is(err, ErrTargetDown) {
		t.Fatalf("err %v, want ErrTargetDown\n%s", err, out.String())
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("the run took %s to notice", el)
	}
	if sum.Counts["messages sent"] == 0 {
		t.Errorf("nothing measured before the stop: %v", sum.Counts)
	}
	var back report.Summary
	b, rerr := os.ReadFile(o.JSONPath)
	if rerr != nil || json.Unmarshal(b, &back) != nil || !strings.Contains(back.Outcome, "stopped answering") || back.Counts["messages sent"] == 0 {
		t.Errorf("JSON summary: %v %s", rerr, b)
	}
}

// The ramp raises the rate until the p99 threshold is passed and reports
// the ceiling: a threshold of one microsecond fails the first step.
func TestRampFindsCeiling(t *testing.T) {
	dir := t.TempDir()
	tg := startTarget(t, filepath.Join(dir, "ca.pem"), nil, "")
	for _, tc := range []struct {
		p99     time.Duration
		ceiling bool
	}{{time.Microsecond, false}, {10 * time.Second, true}} {
		o := smokeOptions(tg, dir)
		o.port = freePort(t, o.ipBase)
		o.servers, o.ramp, o.rate, o.rampFactor, o.rampStep, o.p99, o.duration = 5, true, 10, 2, 700*time.Millisecond, tc.p99, 2500*time.Millisecond
		o.Prefix = "ramp" + strconv.FormatBool(tc.ceiling)
		var out strings.Builder
		sum, err := run(context.Background(), o, &out)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		got := sum.Counts["ramp ceiling msgs/s"]
		if tc.ceiling && got < 10 || !tc.ceiling && got != 0 {
			t.Errorf("p99 threshold %s: ceiling %d msgs/s\n%s", tc.p99, got, out.String())
		}
		if !strings.Contains(out.String(), "ramp ceiling:") {
			t.Errorf("no ceiling printed:\n%s", out.String())
		}
		checkExactlyOnce(t, sum, out.String())
	}
}
