package homeservertest

import (
	"os"
	"testing"

	"github.com/axonhs/axon/configs"
)

// Config returns a loopback configuration with its data under dir, which it
// creates: both listeners on free 127.0.0.1 ports, federation only to
// configured addresses (no DNS for unknown names), registration open, rate
// limits off and bcrypt at its minimum cost. Paths are derived, so the keys
// can be written with WriteSigningKey and WriteTLSCert.
func Config(tb testing.TB, dir string) *configs.Config {
	tb.Helper()
	cfg := configs.Default()
	cfg.FederationAddressesOnly = true // loopback only: no DNS for unknown names
	cfg.DataDir = dir
	cfg.Listeners.Client, cfg.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = 4
	cfg.Derive()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	return cfg
}
