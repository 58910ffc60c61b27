package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRunAgainstAxon runs the program's whole flow (UIA registration,
// first logins, both timed phases, server CPU from /proc) against an
// in-process Axon, then again with the same prefix, which must reuse the
// existing users.
func TestRunAgainstAxon(t *testing.T) {
	c := startAxon(t, 4)
	o := options{
		url:         c.Base(),
		users:       3,
		concurrency: 2,
		duration:    200 * time.Millisecond,
		password:    "pw-for-test",
		prefix:      "runtest",
		pid:         os.Getpid(),
		phases:      "login,whoami",
	}
	for round := range 2 {
		var out strings.Builder
		if err := run(o, &out); err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, out.String())
		}
		for _, phase := range []string{"login", "whoami"} {
			re := regexp.MustCompile(`(?m)^` + phase + `\s+[0-9.]+ req/s  ok [1-9][0-9]*  errors 0  rate-limited 0 .* server CPU `)
			if !re.MatchString(out.String()) {
				t.Errorf("round %d: no clean %s line in\n%s", round, phase, out.String())
			}
		}
	}
	if err := run(options{url: o.url, users: 1, concurrency: 1, duration: time.Millisecond, password: "x", prefix: "p", phases: "dance"}, new(strings.Builder)); err == nil {
		t.Error("unknown phase accepted")
	}
	if err := run(options{url: "ftp://x", users: 1, concurrency: 1, duration: time.Second}, new(strings.Builder)); err == nil {
		t.Error("ftp URL accepted")
	}
}
