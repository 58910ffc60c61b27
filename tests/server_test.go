package tests

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"maunium.net/go/mautrix"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/configs"
)

// testConfig is a loopback configuration with its data under dir, a fresh
// signing key and a self-signed TLS certificate made here.
func testConfig(t testing.TB, dir string) *configs.Config {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := configs.Default()
	cfg.DataDir = dir
	cfg.Listeners.Client = "127.0.0.1:0"
	cfg.Listeners.Federation = "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RegistrationSharedSecret = "s3cret"
	cfg.BcryptRounds = 4 // bcrypt.MinCost: keeps the tests fast
	cfg.RateLimits.Enabled = false
	// Tests talk to loopback only: a server name missing from the address
	// map fails at once instead of being looked up in DNS.
	cfg.FederationAddressesOnly = true
	cfg.Derive()
	if _, err := os.Stat(cfg.SigningKeyPath); err != nil {
		homeservertest.WriteSigningKey(t, cfg)
		homeservertest.WriteTLSCert(t, cfg)
	}
	return cfg
}

// startServer starts a homeserver on cfg and stops it when the test ends
// (unless the test stopped it already).
func startServer(t testing.TB, cfg *configs.Config) *homeserver.Server {
	t.Helper()
	s, err := homeserver.New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopServer(t, s) })
	return s
}

func stopServer(t testing.TB, s *homeserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// newClient is a mautrix client for the server, without retries so that
// errors surface at once.
func newClient(t testing.TB, s *homeserver.Server) *mautrix.Client {
	t.Helper()
	cli, err := mautrix.NewClient("http://"+s.ClientAddr(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	cli.DefaultHTTPRetries = 0
	return cli
}

func tempDir(t testing.TB) string {
	return filepath.Join(t.TempDir(), "data")
}

func bg(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
