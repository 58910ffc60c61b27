package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/bench/report"
)

// setupAttempts bounds the retries of a rate-limited set-up request.
const setupAttempts = 60

type options struct {
	url          string
	users        int
	concurrency  int
	duration     time.Duration
	password     string
	sharedSecret string
	prefix       string
	pid          int
	phases       string
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8008", "client API base URL of the homeserver")
	flag.IntVar(&o.users, "users", 20, "users to register and rotate through")
	flag.IntVar(&o.concurrency, "concurrency", 8, "requests in flight")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed phase")
	flag.StringVar(&o.password, "password", "bench-password-1", "password of the benchmark users")
	flag.StringVar(&o.sharedSecret, "shared-secret", "", "register through shared-secret registration instead of UIA m.login.dummy")
	flag.StringVar(&o.prefix, "prefix", fmt.Sprintf("bench%d", time.Now().Unix()), "localpart prefix of the users (existing users with the same password are reused)")
	flag.IntVar(&o.pid, "pid", 0, "PID of the homeserver, to report its CPU time per request from /proc/<pid>/stat")
	flag.StringVar(&o.phases, "phases", "login,whoami", "comma-separated timed phases: login, whoami")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(o options, out io.Writer) error {
	if o.users < 1 || o.concurrency < 1 || o.duration <= 0 {
		return errors.New("accounts: -users and -concurrency must be at least 1, -duration positive")
	}
	c, err := mx.New(o.url, o.concurrency, time.Minute)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "target %s, %d users, concurrency %d, %s per phase, GOMAXPROCS %d, %d CPUs\n",
		o.url, o.users, o.concurrency, o.duration, runtime.GOMAXPROCS(0), runtime.NumCPU())

	names := make([]string, o.users)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", o.prefix, i)
	}
	start := time.Now()
	if err := parallel.Do(o.concurrency, len(names), func(i int) error {
		err := mx.Retrying(setupAttempts, func() error {
			var err error
			if o.sharedSecret != "" {
				_, err = c.RegisterShared(o.sharedSecret, names[i], o.password)
			} else {
				_, err = c.Register(names[i], o.password, true)
			}
			return err
		})
		if errors.Is(err, mx.ErrUserInUse) {
			return nil
		}
		return err
	}); err != nil {
		return fmt.Errorf("registering: %w", err)
	}
	fmt.Fprintf(out, "registered %d users in %s\n", len(names), time.Since(start).Round(time.Millisecond))

	tokens := make([]string, len(names))
	if err := parallel.Do(o.concurrency, len(names), func(i int) error {
		return mx.Retrying(setupAttempts, func() error {
			l, err := c.Login(names[i], o.password)
			tokens[i] = l.AccessToken
			return err
		})
	}); err != nil {
		return fmt.Errorf("first logins: %w", err)
	}

	var next atomic.Uint64
	pick := func() int { return int(next.Add(1) % uint64(len(names))) }
	for _, phase := range strings.Split(o.phases, ",") {
		var r result
		switch strings.TrimSpace(phase) {
		case "login":
			r = drive("login", o.concurrency, o.duration, o.pid, func(_, _ int) error {
				_, err := c.Login(names[pick()], o.password)
				return err
			})
		case "whoami":
			r = drive("whoami", o.concurrency, o.duration, o.pid, func(_, _ int) error {
				_, err := c.Whoami(tokens[pick()])
				return err
			})
		default:
			return fmt.Errorf("accounts: unknown phase %q", phase)
		}
		printResult(out, r)
	}
	return nil
}

func printResult(out io.Writer, r result) {
	fmt.Fprintf(out, "%-7s %8.1f req/s  ok %d  errors %d  rate-limited %d  p50 %s  p99 %s  max %s  client CPU %s/req",
		r.name, r.rate(), r.ops, r.failures, r.limited,
		report.Dur(report.Percentile(r.latencies, 50)), report.Dur(report.Percentile(r.latencies, 99)), report.Dur(report.Percentile(r.latencies, 100)),
		report.Dur(r.perOp(r.selfCPU)))
	if r.targetCPU >= 0 {
		fmt.Fprintf(out, "  server CPU %s/req (%.0f%% of one core)", report.Dur(r.perOp(r.targetCPU)), 100*r.targetCPU.Seconds()/r.wall.Seconds())
	}
	fmt.Fprintln(out)
	if r.firstErr != nil {
		fmt.Fprintf(out, "        first error: %v\n", r.firstErr)
	}
}
