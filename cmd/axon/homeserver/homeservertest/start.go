package homeservertest

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
)

// Options adjust the test server's configuration.
type Options struct {
	// BcryptRounds is the password hashing cost; 0 means bcrypt's minimum (4).
	BcryptRounds int
	// SharedSecret, when set, enables shared-secret registration.
	SharedSecret string
}

// Start runs an in-process homeserver named "localhost" and returns its
// client API base URL. The server stops when the test ends.
func Start(tb testing.TB, o Options) string {
	tb.Helper()
	cfg := Config(tb, tb.TempDir())
	cfg.BcryptRounds = max(o.BcryptRounds, 4)
	cfg.RegistrationSharedSecret = o.SharedSecret
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	WriteSigningKey(tb, cfg)
	WriteTLSCert(tb, cfg)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Error(err)
		}
	})
	return "http://" + srv.ClientAddr()
}
