package client

import (
	"strings"
	"testing"
)

// FuzzLoginLocalpart: whatever a client sends as its user, the parser never
// panics, never accepts another server's user, and reads back every valid
// localpart from its full user ID.
func FuzzLoginLocalpart(f *testing.F) {
	for _, s := range []string{"alice", "@alice:hs", "@alice:other", "@:hs", "@a:b:c", "ALICE", "", "@"} {
		f.Add(s)
	}
	a := &API{cfg: Config{ServerName: "hs"}}
	f.Fuzz(func(t *testing.T, in string) {
		lp, ok := a.loginLocalpart(in)
		if ok && lp == "" {
			t.Fatalf("%q accepted as an empty localpart", in)
		}
		if ok && strings.HasPrefix(strings.TrimSpace(in), "@") && !strings.HasSuffix(strings.ToLower(strings.TrimSpace(in)), ":hs") {
			t.Fatalf("%q of another server accepted as %q", in, lp)
		}
		if a.validLocalpart(in) == nil {
			if got, ok := a.loginLocalpart("@" + in + ":hs"); !ok || got != in {
				t.Fatalf("round trip of %q gave %q, %v", in, got, ok)
			}
		}
	})
}
