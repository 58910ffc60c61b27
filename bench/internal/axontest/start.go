package axontest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
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
	cfg := configs.Default()
	cfg.FederationAddressesOnly = true // loopback only: no DNS for unknown names
	cfg.DataDir = tb.TempDir()
	cfg.Listeners.Client, cfg.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = max(o.BcryptRounds, 4)
	cfg.RegistrationSharedSecret = o.SharedSecret
	cfg.Derive()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	writeKeys(tb, cfg)
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

// writeKeys writes the signing key and the throwaway self-signed TLS pair
// homeserver.New expects.
func writeKeys(tb testing.TB, cfg *configs.Config) {
	tb.Helper()
	k, err := signing.GenerateKey("bench")
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(cfg.SigningKeyPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := signing.WriteKeyFile(f, k); err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		tb.Fatal(err)
	}
}
