package main

import (
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func newFlagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

func TestCertHosts(t *testing.T) {
	tests := []struct {
		server string
		dns    []string
		ips    []string
	}{
		{"localhost", []string{"localhost"}, []string{"127.0.0.1"}},
		{"example.org:8448", []string{"example.org"}, []string{"127.0.0.1"}},
		{"192.0.2.7", nil, []string{"192.0.2.7", "127.0.0.1"}},
		{"[2001:db8::1]:8448", nil, []string{"2001:db8::1", "127.0.0.1"}},
		{"127.0.0.1:8448", nil, []string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		dns, ips := certHosts(tt.server)
		if len(dns) != len(tt.dns) || (len(dns) > 0 && dns[0] != tt.dns[0]) {
			t.Errorf("%s: dns %v, want %v", tt.server, dns, tt.dns)
		}
		if len(ips) != len(tt.ips) {
			t.Errorf("%s: ips %v, want %v", tt.server, ips, tt.ips)
			continue
		}
		for i := range ips {
			if !ips[i].Equal(net.ParseIP(tt.ips[i])) {
				t.Errorf("%s: ips %v, want %v", tt.server, ips, tt.ips)
			}
		}
	}
}

func TestEnsureTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if _, err := ensureTLS(cert, key, "example.org", false, time.Now()); err == nil {
		t.Error("missing explicit certificate accepted")
	}
	if created, err := ensureTLS(cert, key, "example.org", true, time.Now()); err != nil || !created {
		t.Fatalf("generate: %t %v", created, err)
	}
	if created, err := ensureTLS(cert, key, "example.org", true, time.Now()); err != nil || created {
		t.Errorf("existing pair: %t %v", created, err)
	}
	os.Remove(key)
	if _, err := ensureTLS(cert, key, "example.org", true, time.Now()); !errors.Is(err, errHalfTLSPair) {
		t.Errorf("half pair: %v", err)
	}
	if err := os.WriteFile(key, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureTLS(cert, key, "example.org", true, time.Now()); err == nil {
		t.Error("garbage key accepted")
	}
}

func TestEnsureSigningKeyRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(path, []byte("ed25519 a_x not-base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ensureSigningKey(path); err == nil {
		t.Error("garbage signing key accepted")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ensureSigningKey(path); !errors.Is(err, errNoSigningKey) {
		t.Errorf("empty file: %v", err)
	}
}

func TestWriteNewFileRefusesToReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := writeNewFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeNewFile(path, []byte("two"), 0o600); !errors.Is(err, os.ErrExist) {
		t.Errorf("replace: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("content %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
