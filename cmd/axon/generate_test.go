package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

func writeTestConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, configs.ConfigFileName)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkCert asserts that the PEM certificate at path verifies, as its own
// root, for every name in names.
func checkCert(t *testing.T, path string, names ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, name := range names {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("certificate not valid for %q: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "elsewhere.example", Roots: roots}); err == nil {
		t.Error("certificate valid for a name it was not made for")
	}
}

func readKey(t *testing.T, path string) signing.KeyPair {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := signing.ReadKeyFile(bytes.NewReader(data))
	if err != nil || len(keys) != 1 {
		t.Fatalf("signing key %s: %v (%d keys)", path, err, len(keys))
	}
	return keys[0]
}

func TestGenerateConfigWritesLoadableFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hs")
	code, out, stderr := runCapture(t, "", "generate-config", "-dir", dir, "-server-name", "matrix.example.org:8448")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "wrote "+filepath.Join(dir, "homeserver.yaml")) {
		t.Errorf("stdout: %s", out)
	}
	cfg, err := configs.Sources{File: filepath.Join(dir, configs.ConfigFileName)}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "matrix.example.org:8448" || cfg.DataDir != dir || cfg.SigningKeyPath != filepath.Join(dir, "signing.key") {
		t.Errorf("loaded %+v", cfg)
	}
	if !cfg.EnableRegistration || len(cfg.RegistrationSharedSecret) < 20 {
		t.Errorf("loopback config should enable registration with a long secret: %+v", cfg)
	}
	key := readKey(t, cfg.SigningKeyPath)
	if !signing.ValidKeyVersion(key.ID.Version()) || !strings.HasPrefix(key.ID.Version(), "a_") {
		t.Errorf("key id %s", key.ID)
	}
	checkCert(t, cfg.Listeners.TLSCert, "matrix.example.org", "127.0.0.1")
	for _, f := range []string{cfg.SigningKeyPath, cfg.Listeners.TLSKey, filepath.Join(dir, configs.ConfigFileName)} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, st.Mode(), err)
		}
	}

	// A second run must not replace the config (it holds the secret).
	code, _, stderr = runCapture(t, "", "generate-config", "-dir", dir)
	if code != 1 || !strings.Contains(stderr, "file exists") {
		t.Errorf("second run: exit %d, %s", code, stderr)
	}
	again, err := configs.Sources{File: filepath.Join(dir, configs.ConfigFileName)}.Load()
	if err != nil || again.RegistrationSharedSecret != cfg.RegistrationSharedSecret {
		t.Error("second run changed the config")
	}
}

func TestGenerateConfigPublicListenerClosesRegistration(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCapture(t, "", "generate-config", "-dir", dir, "-client-listen", "0.0.0.0:8008")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := configs.Sources{File: filepath.Join(dir, configs.ConfigFileName)}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EnableRegistration {
		t.Error("registration enabled on a public listener")
	}
}

func TestGenerateConfigStdout(t *testing.T) {
	code, out, stderr := runCapture(t, "", "generate-config", "-stdout", "-server-name", "example.net")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	path := writeTestConfig(t, dir, out)
	cfg, err := configs.Sources{File: path}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "example.net" || cfg.DataDir != dir || cfg.RegistrationSharedSecret == "" {
		t.Errorf("loaded %+v", cfg)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("-stdout wrote files: %v", entries)
	}
}

func TestGenerateConfigRejectsBadServerName(t *testing.T) {
	code, _, stderr := runCapture(t, "", "generate-config", "-stdout", "-server-name", "bad name")
	if code != 1 || !strings.Contains(stderr, "server_name") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestFirstRunConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "axon-data")
	t.Setenv("AXON_DATA_DIR", dir)
	path, notes, err := firstRunConfig(configs.RegisterFlags(newFlagSet()))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "homeserver.yaml") || len(notes) != 1 || !strings.Contains(notes[0], "registration enabled") {
		t.Errorf("path %s notes %v", path, notes)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "localhost" || cfg.Listeners.Client != "127.0.0.1:8008" || cfg.Listeners.Federation != "127.0.0.1:8448" ||
		!cfg.EnableRegistration || cfg.RegistrationSharedSecret == "" {
		t.Errorf("first-run config %+v", cfg)
	}
	got, err := prepareFiles(cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !got.keyCreated || !got.certCreated {
		t.Errorf("prepareFiles created key=%t cert=%t", got.keyCreated, got.certCreated)
	}
	if readKey(t, cfg.SigningKeyPath).ID != got.key.ID {
		t.Error("key on disk differs from the one reported")
	}
	checkCert(t, cfg.Listeners.TLSCert, "localhost", "127.0.0.1")

	// Second start: nothing is rewritten.
	path2, notes2, err := firstRunConfig(configs.RegisterFlags(newFlagSet()))
	if err != nil || path2 != path || len(notes2) != 0 {
		t.Errorf("second run: %s %v %v", path2, notes2, err)
	}
	again, err := prepareFiles(cfg, time.Now())
	if err != nil || again.keyCreated || again.certCreated || again.key.ID != got.key.ID {
		t.Errorf("second prepare: %+v %v", again, err)
	}
}
