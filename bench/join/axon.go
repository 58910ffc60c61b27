package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/signing"
)

const axonName = "axon.bench"

// axon is one in-process Axon with a fresh store, federating with the
// hub's fake servers only, and the log entries it wrote.
type axon struct {
	srv  *homeserver.Server
	logs *observer.ObservedLogs
	dir  string
}

// startAxon starts Axon with its data in a new directory under parent:
// loopback listeners, registration open, rate limits off, bcrypt at its
// minimum cost, fsync on every commit as in production.
func startAxon(parent string, hub *fedtest.Hub) (*axon, error) {
	dir, err := os.MkdirTemp(parent, "axon-")
	if err != nil {
		return nil, err
	}
	cfg := configs.Default()
	cfg.ServerName = axonName
	cfg.DataDir = dir
	cfg.FederationAddressesOnly = true
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = 4
	cfg.Listeners.Client = "127.0.0.1:0"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg.Listeners.Federation = ln.Addr().String()
	ln.Close()
	cfg.FederationAddresses = hub.Overrides()
	cfg.FederationAddresses[axonName] = cfg.Listeners.Federation
	cfg.FederationCAFile = filepath.Join(dir, "ca.pem")
	cfg.Derive()
	if err := os.WriteFile(cfg.FederationCAFile, hub.CAPEM(), 0o600); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := writeKeys(cfg); err != nil {
		return nil, err
	}
	core, logs := observer.New(zap.InfoLevel)
	srv, err := homeserver.New(cfg, zap.New(core))
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	return &axon{srv: srv, logs: logs, dir: dir}, nil
}

// stop shuts the server down and removes its data.
func (a *axon) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if rmErr := os.RemoveAll(a.dir); err == nil {
		err = rmErr
	}
	return err
}

// writeKeys writes a fresh signing key and a self-signed TLS pair for the
// federation listener where cfg expects them.
func writeKeys(cfg *configs.Config) error {
	k, err := signing.GenerateKey("bench")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := signing.WriteKeyFile(&buf, k); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.SigningKeyPath, buf.Bytes(), 0o600); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
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
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Listeners.TLSCert), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Listeners.TLSCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("writing the TLS certificate: %w", err)
	}
	return os.WriteFile(cfg.Listeners.TLSKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
}
