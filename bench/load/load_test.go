package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/bench/internal/cli"
	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/report"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
)

func smokeOptions(url, dir string) *options {
	return &options{
		url: url, users: 6, rooms: 3, roomSizes: []int{2, 4}, syncers: 3,
		concurrency: 4, mix: mix{opMessage: 80, opTyping: 5, opReceipt: 5, opState: 5, opJoinLeave: 5},
		duration: 2 * time.Second, drain: 10 * time.Second, syncTimeout: 2 * time.Second,
		Common: cli.Common{GiveUp: 10 * time.Second, Password: "smoke-password", Prefix: "smoke", PID: os.Getpid(),
			JSONPath: filepath.Join(dir, "load.json"), HTMLPath: filepath.Join(dir, "load.html"), Progress: time.Second},
	}
}

// TestSmokeExactlyOnce runs a short scenario against an in-process Axon:
// every message answered 200 must reach each syncing member's /sync exactly
// once, and the JSON and HTML outputs must be written.
func TestSmokeExactlyOnce(t *testing.T) {
	url := homeservertest.Start(t, homeservertest.Options{})
	skipWithoutSync(t, url)
	dir := t.TempDir()
	o := smokeOptions(url, dir)
	var out strings.Builder
	sum, err := run(context.Background(), o, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	c := sum.Counts
	if c["message ok"] == 0 || c["deliveries expected"] == 0 {
		t.Fatalf("nothing was sent or expected: %v\n%s", c, out.String())
	}
	if c["deliveries lost"] != 0 || c["deliveries duplicated"] != 0 || c["deliveries"] != c["deliveries expected"] {
		t.Errorf("deliveries: %v", c)
	}
	for _, k := range []string{"typing ok", "receipt ok", "state ok", "joinleave ok"} {
		if c[k] == 0 {
			t.Errorf("%s is 0: %v", k, c)
		}
	}
	if len(sum.Errors) != 0 {
		t.Errorf("errors: %v", sum.Errors)
	}
	if sum.Server == nil || sum.Server.CPUSeconds <= 0 || sum.Server.RSSMaxBytes <= 0 {
		t.Errorf("server figures: %+v", sum.Server)
	}
	var back report.Summary
	b, err := os.ReadFile(o.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Outcome != "ok" || back.Counts["deliveries"] != c["deliveries"] {
		t.Errorf("JSON summary: %v, outcome %q", err, back.Outcome)
	}
	page, err := os.ReadFile(o.HTMLPath)
	if err != nil || !strings.Contains(string(page), "delivery latency percentiles") || !strings.Contains(string(page), "<svg") {
		t.Errorf("HTML report missing or without charts: %v", err)
	}

	// A second run with the same prefix reuses the users by logging in, and
	// -rate paces it: 40 sends/s for 1.5 s.
	o2 := smokeOptions(url, dir)
	o2.duration, o2.mix, o2.rate = 1500*time.Millisecond, mix{opMessage: 1}, 40
	sum, err = run(context.Background(), o2, &out)
	if err != nil || sum.Counts["deliveries lost"] != 0 {
		t.Fatalf("rerun: %v", err)
	}
	// At most 61 tickets fit in 1.5 s; a loaded machine may send fewer.
	if n := sum.Counts["message ok"]; n < 1 || n > 62 {
		t.Errorf("-rate 40 for 1.5 s sent %d messages", n)
	}
}

// TestBadTargets: a URL that answers nothing, and a server that refuses
// the shared secret, end with a clear error and still write the summary.
func TestBadTargets(t *testing.T) {
	dir := t.TempDir()
	o := smokeOptions("http://127.0.0.1:1", dir)
	_, err := run(context.Background(), o, new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("dead URL: %v", err)
	}
	var back report.Summary
	if b, rerr := os.ReadFile(o.JSONPath); rerr != nil || json.Unmarshal(b, &back) != nil || back.Outcome == "ok" || back.Outcome == "" {
		t.Errorf("dead URL: summary %q, %v", back.Outcome, rerr)
	}

	url := homeservertest.Start(t, homeservertest.Options{SharedSecret: "right-secret"})
	o = smokeOptions(url, dir)
	o.SharedSecret = "wrong-secret"
	_, err = run(context.Background(), o, new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "shared-secret registration") {
		t.Errorf("wrong shared secret: %v", err)
	}

	o = smokeOptions(url, dir)
	o.SharedSecret, o.Prefix = "right-secret", "shared"
	o.duration, o.mix = 300*time.Millisecond, mix{opMessage: 1}
	if _, err := run(context.Background(), o, new(strings.Builder)); err != nil {
		t.Errorf("right shared secret: %v", err)
	}

	if _, err := run(context.Background(), smokeOptions("ftp://x", dir), new(strings.Builder)); err == nil {
		t.Error("ftp URL accepted")
	}
	o = smokeOptions(url, dir)
	o.PID = -5
	if _, err := run(context.Background(), o, new(strings.Builder)); !errors.Is(err, ErrOptions) {
		t.Errorf("bad pid: %v", err)
	}
}

// skipWithoutSync skips a test against a server that does not serve
// /sync yet (M_UNRECOGNIZED or a bare 404).
func skipWithoutSync(t *testing.T, url string) {
	t.Helper()
	c, err := mx.New(url, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := c.Register("sync-probe", "sync-probe-password", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Sync(l.AccessToken, "", "", 0)
	var me *mx.Error
	if errors.As(err, &me) && (me.ErrCode == "M_UNRECOGNIZED" || me.Status == 404) {
		t.Skipf("the server does not serve /sync: %v", err)
	}
}

func TestParseMix(t *testing.T) {
	tests := []struct {
		in   string
		want mix
		ok   bool
	}{
		{"message=80,typing=8,receipt=8,state=2,joinleave=2", mix{80, 8, 8, 2, 2}, true},
		{" message = 1 ", mix{1, 0, 0, 0, 0}, true},
		{"typing=3,", mix{0, 3, 0, 0, 0}, true},
		{"message=0", mix{}, false},
		{"message=5,message=0", mix{}, false},
		{"typing=5,typing=2", mix{0, 2, 0, 0, 0}, true},
		{"dance=4", mix{}, false},
		{"message", mix{}, false},
		{"message=-1", mix{}, false},
		{"", mix{}, false},
	}
	for _, tt := range tests {
		got, err := parseMix(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseMix(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrOptions) {
			t.Errorf("parseMix(%q) error %v is not ErrOptions", tt.in, err)
		}
	}
	m := mix{2, 0, 1, 0, 1}
	var got []kind
	for r := range m.total() {
		got = append(got, m.pick(r))
	}
	if want := []kind{opMessage, opMessage, opReceipt, opJoinLeave}; !equalKinds(got, want) {
		t.Errorf("pick over %v = %v, want %v", m, got, want)
	}
	if m.String() != "message=2,receipt=1,joinleave=1" {
		t.Errorf("String() = %q", m.String())
	}
}

func equalKinds(a, b []kind) bool {
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

func TestParseSizesAndValidate(t *testing.T) {
	if s, err := parseSizes("2, 5,50"); err != nil || len(s) != 3 || s[2] != 50 {
		t.Errorf("parseSizes: %v %v", s, err)
	}
	for _, bad := range []string{"", "0", "3,x", "-2"} {
		if _, err := parseSizes(bad); !errors.Is(err, ErrOptions) {
			t.Errorf("parseSizes(%q) = %v", bad, err)
		}
	}
	o := smokeOptions("http://127.0.0.1:8008", t.TempDir())
	o.roomSizes = []int{7}
	if err := o.validate(); !errors.Is(err, ErrOptions) {
		t.Errorf("room larger than the user count accepted: %v", err)
	}
	o = smokeOptions("http://127.0.0.1:8008", t.TempDir())
	o.Prefix = "a:b"
	if err := o.validate(); !errors.Is(err, ErrOptions) {
		t.Errorf("prefix with ':' accepted: %v", err)
	}
}

// FuzzParseMix: no input panics; an accepted mix has a positive total and
// every pick lands on an operation with a weight.
func FuzzParseMix(f *testing.F) {
	f.Add("message=80,typing=8,receipt=8,state=2,joinleave=2")
	f.Add("typing=1,,")
	f.Add("message=1000000,message=0")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMix(s)
		if err != nil {
			return
		}
		if m.total() <= 0 {
			t.Fatalf("parseMix(%q) accepted a mix with total %d", s, m.total())
		}
		for r := range min(m.total(), 1000) {
			if k := m.pick(r); m[k] == 0 {
				t.Fatalf("pick(%d) of %v chose %v, which has no weight", r, m, k)
			}
		}
	})
}

// TestTargetStopsMidRun: a target that goes away during the traffic (here
// a loopback proxy in front of Axon that closes its listener and every
// connection) ends the run with ErrTargetDown after -give-up, long before
// -duration, and the summary says so.
func TestTargetStopsMidRun(t *testing.T) {
	url := homeservertest.Start(t, homeservertest.Options{})
	skipWithoutSync(t, url)
	proxyURL, cut := startProxy(t, strings.TrimPrefix(url, "http://"))
	o := smokeOptions(proxyURL, t.TempDir())
	o.Prefix, o.PID = "dies", 0
	o.duration, o.GiveUp = time.Minute, time.Second
	time.AfterFunc(1500*time.Millisecond, cut)
	start := time.Now()
	sum, err := run(context.Background(), o, new(strings.Builder))
	if !errors.Is(err, ErrTargetDown) {
		t.Fatalf("run ended with %v, want ErrTargetDown", err)
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("took %v to notice", took)
	}
	var back report.Summary
	b, rerr := os.ReadFile(o.JSONPath)
	if rerr != nil || json.Unmarshal(b, &back) != nil || !strings.Contains(back.Outcome, "stopped answering") {
		t.Errorf("summary outcome %q, %v", back.Outcome, rerr)
	}
	if sum.Errors["transport"] == 0 {
		t.Errorf("no transport errors counted: %v", sum.Errors)
	}
}

// startProxy forwards a loopback port to target until cut, which closes
// the listener and every connection, as a server that died would.
func startProxy(t *testing.T, target string) (url string, cut func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		dead  bool
	)
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			c.Close()
			return false
		}
		conns = append(conns, c)
		return true
	}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			if !track(in) || !track(out) {
				in.Close()
				out.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	cut = func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		dead = true
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(cut)
	return "http://" + ln.Addr().String(), cut
}
