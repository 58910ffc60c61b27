package homeservertest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

// WriteSigningKey writes a fresh signing key to cfg.SigningKeyPath and
// returns it, so that storage can be filled before the server starts.
func WriteSigningKey(tb testing.TB, cfg *configs.Config) signing.KeyPair {
	tb.Helper()
	k, err := signing.GenerateKey("bench")
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := signing.WriteKeyFile(&buf, k); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.SigningKeyPath, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return k
}

// WriteTLSCert writes the throwaway self-signed TLS pair homeserver.New
// expects to cfg.Listeners.TLSCert and TLSKey, valid for a day for
// cfg.ServerName and 127.0.0.1.
func WriteTLSCert(tb testing.TB, cfg *configs.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cfg.ServerName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{cfg.ServerName},
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
	if err := os.MkdirAll(filepath.Dir(cfg.Listeners.TLSCert), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		tb.Fatal(err)
	}
}
