package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Common holds the flags every traffic-driving program takes.
type Common struct {
	GiveUp       time.Duration // stop when the target answered nothing for this long
	SharedSecret string        // register through shared-secret registration
	Password     string        // of the accounts the program registers
	Prefix       string        // localpart prefix of those accounts
	PID          int           // of the target, to measure it from /proc; 0: not measured
	JSONPath     string        // where to write the JSON summary; empty: nowhere
	HTMLPath     string        // where to write the HTML report; empty: nowhere
	Progress     time.Duration // between progress lines when stdout is no terminal
}

// Register defines the common flags on fs. tool names the program (the
// default password and prefix start with it) and users its accounts in
// the help ("users", "local users").
func (c *Common) Register(fs *flag.FlagSet, tool, users string) {
	fs.DurationVar(&c.GiveUp, "give-up", 10*time.Second, "stop when the homeserver has answered nothing for this long")
	fs.StringVar(&c.SharedSecret, "shared-secret", "", "register through shared-secret registration instead of UIA m.login.dummy")
	fs.StringVar(&c.Password, "password", tool+"-password-1", "password of the "+users)
	fs.StringVar(&c.Prefix, "prefix", fmt.Sprintf("%s%d", tool, time.Now().Unix()), "localpart prefix of the "+users+" (existing users with the same password are reused)")
	fs.IntVar(&c.PID, "pid", 0, "PID of the homeserver, to report its CPU time and RSS from /proc")
	fs.StringVar(&c.JSONPath, "json", "", "write the JSON summary to this file")
	fs.StringVar(&c.HTMLPath, "html", "", "write the HTML report to this file")
	fs.DurationVar(&c.Progress, "progress", 5*time.Second, "interval of the progress lines when stdout is not a terminal")
}

// Validate refuses a negative -pid and a -prefix that is no plain
// localpart prefix, wrapping bad (the program's sentinel). -give-up is the
// program's to check, with its other durations.
func (c *Common) Validate(bad error) error {
	switch {
	case c.PID < 0:
		return fmt.Errorf("%w: -pid %d", bad, c.PID)
	case c.Prefix == "" || strings.ContainsAny(c.Prefix, ":@ /"):
		return fmt.Errorf("%w: -prefix %q must be a plain localpart prefix", bad, c.Prefix)
	}
	return nil
}

// Registration names how the accounts are registered, for the summary.
func (c *Common) Registration() string {
	if c.SharedSecret != "" {
		return "shared secret"
	}
	return "UIA m.login.dummy"
}
