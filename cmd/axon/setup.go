package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

// firstRunParams are the values a generated homeserver.yaml gets: the
// effective server name and listeners, data_dir "." (the file lives in
// it), a random registration shared secret, and open registration only
// when the client listener is loopback-only.
func firstRunParams(cfg *configs.Config) configs.Params {
	return configs.Params{
		ServerName:               cfg.ServerName,
		DataDir:                  ".",
		ClientListen:             cfg.Listeners.Client,
		FederationListen:         cfg.Listeners.Federation,
		EnableRegistration:       configs.IsLoopback(cfg.Listeners.Client),
		RegistrationSharedSecret: rand.Text(), // 26 base32 characters, 130 bits
	}
}

// writeConfigFile renders p into path, refusing to replace a file. The
// file holds the shared secret, so only its owner may read it.
func writeConfigFile(path string, p configs.Params) error {
	var buf bytes.Buffer
	if err := configs.Render(&buf, p); err != nil {
		return err
	}
	return writeNewFile(path, buf.Bytes(), 0o600)
}

// prepared reports what prepareFiles found or made.
type prepared struct {
	key         signing.KeyPair
	keyCreated  bool
	certCreated bool
}

// prepareFiles makes data_dir and the signing key and TLS pair the server
// needs, generating those that are missing: the signing key always (as
// Synapse's --generate-missing-configs), the TLS pair only at its default
// paths under data_dir.
func prepareFiles(cfg *configs.Config, now time.Time) (prepared, error) {
	var p prepared
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return p, fmt.Errorf("data_dir: %w", err)
	}
	var err error
	if p.key, p.keyCreated, err = ensureSigningKey(cfg.SigningKeyPath); err != nil {
		return p, err
	}
	atDefault := cfg.Listeners.TLSCert == filepath.Join(cfg.DataDir, configs.TLSCertFileName) &&
		cfg.Listeners.TLSKey == filepath.Join(cfg.DataDir, configs.TLSKeyFileName)
	if p.certCreated, err = ensureTLS(cfg.Listeners.TLSCert, cfg.Listeners.TLSKey, cfg.ServerName, atDefault, now); err != nil {
		return p, err
	}
	return p, nil
}

// firstRunConfig finds DATA_DIR/homeserver.yaml (data_dir from flags,
// environment or default) and writes it when it does not exist yet, from
// the effective settings. It returns the path and what it did.
func firstRunConfig(overrides *configs.Flags) (path string, notes []string, err error) {
	base, err := configs.Sources{LookupEnv: os.LookupEnv, Flags: overrides}.Load()
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(base.DataDir, configs.ConfigFileName)
	there, err := exists(path)
	if err != nil || there {
		return path, nil, err
	}
	if err := os.MkdirAll(base.DataDir, 0o700); err != nil {
		return "", nil, fmt.Errorf("data_dir: %w", err)
	}
	params := firstRunParams(base)
	if err := writeConfigFile(path, params); err != nil && !errors.Is(err, os.ErrExist) {
		return "", nil, err
	}
	note := "first run: wrote " + path
	if params.EnableRegistration {
		note += " (registration enabled: the client listener is loopback-only)"
	}
	return path, []string{note}, nil
}
