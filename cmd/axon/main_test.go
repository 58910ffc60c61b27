package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCapture runs the command line args with stdin in and returns the exit
// status and what went to stdout and stderr.
func runCapture(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, stdio{in: strings.NewReader(in), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, ""},
		{"unknown flag", []string{"hash-password", "-nope"}, 2, "flag provided but not defined: -nope"},
		{"stray argument", []string{"hash-password", "-password", "x", "extra"}, 2, `unexpected argument "extra"`},
		{"flag help", []string{"generate-config", "-h"}, 0, "usage: axon generate-config"},
		{"bad flag value", []string{"hash-password", "-cost", "many"}, 2, "invalid value"},
		{"serve bad bool", []string{"-enable-registration=maybe"}, 2, "enable-registration"},
		{"serve unknown flag", []string{"serve", "-colour"}, 2, "-colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCapture(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantErr)
			}
		})
	}
}
