package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"github.com/axonhs/axon/rooms/signing"
)

var errNoSigningKey = errors.New("axon: signing key file holds no key")

// newKeyVersion returns a key version in the shape Synapse uses, "a_" and
// four random characters; rand.Text's base32 alphabet (A-Z, 2-7) fits the
// spec's key ID grammar (appendices, "Signing Keys": [a-zA-Z0-9_]).
func newKeyVersion() string { return "a_" + rand.Text()[:4] }

// ensureSigningKey returns the first key of the file at path, generating
// an ed25519 key there when the file does not exist.
func ensureSigningKey(path string) (key signing.KeyPair, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		keys, err := signing.ReadKeyFile(bytes.NewReader(data))
		if err != nil {
			return key, false, fmt.Errorf("signing_key_path %s: %w", path, err)
		}
		if len(keys) == 0 {
			return key, false, fmt.Errorf("signing_key_path %s: %w", path, errNoSigningKey)
		}
		return keys[0], false, nil
	}
	if !os.IsNotExist(err) {
		return key, false, fmt.Errorf("signing_key_path: %w", err)
	}
	key, err = signing.GenerateKey(newKeyVersion())
	if err != nil {
		return key, false, err
	}
	var buf bytes.Buffer
	if err := signing.WriteKeyFile(&buf, key); err != nil {
		return key, false, err
	}
	if err := writeNewFile(path, buf.Bytes(), 0o600); err != nil {
		return key, false, fmt.Errorf("signing_key_path: %w", err)
	}
	return key, true, nil
}
