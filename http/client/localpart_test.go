package client

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
)

func TestValidLocalpart(t *testing.T) {
	a := &API{cfg: Config{ServerName: "example.org"}}
	tests := []struct {
		lp string
		ok bool
	}{
		{"alice", true},
		{"a.b_c=d-e/f+g", true},
		{"0123", true},
		{"", false},
		{"Alice", false},
		{"al ice", false},
		{"al:ice", false},
		{"@alice", false},
		{"ali\x00ce", false},
		{"é", false},
		{strings.Repeat("a", 255-len("@:example.org")), true},
		{strings.Repeat("a", 256-len("@:example.org")), false},
	}
	for _, tc := range tests {
		if err := a.validLocalpart(tc.lp); (err == nil) != tc.ok {
			t.Errorf("validLocalpart(%q) = %v, want ok=%v", tc.lp, err, tc.ok)
		}
	}
}

func TestLoginLocalpart(t *testing.T) {
	a := &API{cfg: Config{ServerName: "Example.org"}}
	tests := []struct {
		in, lp string
		ok     bool
	}{
		{"alice", "alice", true},
		{"Alice", "alice", true},
		{"@alice:example.org", "alice", true},
		{"@alice:other.org", "", false},
		{"@alice", "", false},
		{"", "", false},
		{"  bob ", "bob", true},
	}
	for _, tc := range tests {
		lp, ok := a.loginLocalpart(tc.in)
		if lp != tc.lp || ok != tc.ok {
			t.Errorf("loginLocalpart(%q) = %q, %v; want %q, %v", tc.in, lp, ok, tc.lp, tc.ok)
		}
	}
}

// The MAC is HMAC-SHA1 over the fields joined by NUL bytes, as Synapse's
// admin API documents.
func TestSharedSecretMAC(t *testing.T) {
	ut := "bot"
	tests := []struct {
		req  sharedSecretRequest
		data string
	}{
		{sharedSecretRequest{Nonce: "n", Username: "u", Password: "p"}, "n\x00u\x00p\x00notadmin"},
		{sharedSecretRequest{Nonce: "n", Username: "u", Password: "p", Admin: true}, "n\x00u\x00p\x00admin"},
		{sharedSecretRequest{Nonce: "n", Username: "u", Password: "p", UserType: &ut}, "n\x00u\x00p\x00notadmin\x00bot"},
	}
	for _, tc := range tests {
		m := hmac.New(sha1.New, []byte("secret"))
		m.Write([]byte(tc.data))
		if got, want := sharedSecretMAC("secret", tc.req), hex.EncodeToString(m.Sum(nil)); got != want {
			t.Errorf("%q: mac %s, want %s", tc.data, got, want)
		}
	}
}

func TestPasswordLimits(t *testing.T) {
	h, err := hashPassword("pw", 4)
	if err != nil {
		t.Fatal(err)
	}
	if !passwordMatches(h, "pw") || passwordMatches(h, "pw2") || passwordMatches("", "") {
		t.Fatal("passwordMatches wrong")
	}
	long := strings.Repeat("x", 73)
	if checkNewPassword(long) == nil || checkNewPassword(long[:72]) != nil {
		t.Fatal("72-byte limit wrong")
	}
	h72, _ := hashPassword(long[:72], 4)
	if passwordMatches(h72, long) {
		t.Fatal("a 73-byte password matched its 72-byte prefix")
	}
}
