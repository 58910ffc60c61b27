package cli

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

var errBad = errors.New("cli test: bad option")

func TestRegisterDefaultsAndParse(t *testing.T) {
	var c Common
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, "tool", "local users")
	if err := fs.Parse([]string{"-pid", "42", "-json", "out.json", "-give-up", "3s"}); err != nil {
		t.Fatal(err)
	}
	if c.PID != 42 || c.JSONPath != "out.json" || c.GiveUp != 3*time.Second || c.HTMLPath != "" || c.Progress != 5*time.Second {
		t.Errorf("parsed %+v", c)
	}
	if c.Password != "tool-password-1" || !strings.HasPrefix(c.Prefix, "tool") || c.Validate(errBad) != nil {
		t.Errorf("defaults %+v", c)
	}
	if u := fs.Lookup("password").Usage; u != "password of the local users" {
		t.Errorf("password help %q", u)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		pid    int
		prefix string
		want   string // in the error; empty: valid
	}{
		{"valid", 7, "load1", ""},
		{"negative pid", -1, "load1", "-pid -1"},
		{"empty prefix", 0, "", "-prefix"},
		{"prefix with a colon", 0, "a:b", "-prefix"},
		{"prefix with a space", 0, "a b", "-prefix"},
	}
	for _, tt := range tests {
		err := (&Common{PID: tt.pid, Prefix: tt.prefix}).Validate(errBad)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, errBad) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q wrapping the program's sentinel", tt.name, err, tt.want)
		}
	}
	if r := (&Common{SharedSecret: "s"}).Registration(); r != "shared secret" {
		t.Errorf("registration %q", r)
	}
	if r := (&Common{}).Registration(); r != "UIA m.login.dummy" {
		t.Errorf("registration %q", r)
	}
}
