package homeserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

// New refuses to start without its key material, naming the file, and
// leaves nothing open behind.
func TestNewFailsOnMissingFiles(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "signing.key")
	emptyKey := filepath.Join(dir, "empty.key")
	if err := os.WriteFile(emptyKey, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := signing.GenerateKey("a_1")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := signing.WriteKeyFile(f, k); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		name, key, want string
		is              error
	}{
		{"no signing key", filepath.Join(dir, "missing.key"), "missing.key", nil},
		{"empty signing key", emptyKey, "empty.key", ErrNoSigningKey},
		{"no TLS certificate", keyPath, "tls.crt", nil},
	}
	for _, tc := range tests {
		cfg := configs.Default()
		cfg.DataDir = dir
		cfg.SigningKeyPath = tc.key
		_, err := New(cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: New = %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); !os.IsNotExist(err) {
		t.Errorf("a failed New created the store: %v", err)
	}
}
