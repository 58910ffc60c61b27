package configs

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// validateFederation checks the federation options; each problem names its
// key.
func (c *Config) validateFederation() []error {
	var errs []error
	invalid := func(key, format string, a ...any) {
		errs = append(errs, keyErr(key, "", fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)))
	}
	for i, ts := range c.TrustedKeyServers {
		if err := CheckServerName(ts.ServerName); err != nil {
			invalid("trusted_key_servers", "entry %d: server_name: %v", i, err)
		}
		for id, key := range ts.VerifyKeys {
			if err := checkPublicKey(id, key); err != nil {
				invalid("trusted_key_servers", "entry %d: verify_keys: %v", i, err)
			}
		}
	}
	for name, addr := range c.FederationAddresses {
		if err := CheckServerName(name); err != nil {
			invalid("federation_addresses", "%q: %v", name, err)
		}
		host, port, err := net.SplitHostPort(addr)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			invalid("federation_addresses", "%q: %q is not host:port", name, addr)
		}
	}
	if c.KeyValidityPeriod <= 0 {
		invalid("key_validity_period", "must be positive")
	}
	for id, k := range c.OldSigningKeys {
		if err := checkPublicKey(id, k.Key); err != nil {
			invalid("old_signing_keys", "%v", err)
		}
		if k.ExpiredTS <= 0 {
			invalid("old_signing_keys", "%s: expired_ts must be a positive millisecond timestamp", id)
		}
	}
	return errs
}

// checkPublicKey accepts an "ed25519:<version>" key ID and unpadded base64
// of a 32-byte key (appendices "Signing Keys"; unpadded base64).
func checkPublicKey(id, key string) error {
	alg, version, ok := strings.Cut(id, ":")
	if !ok || alg != "ed25519" || version == "" {
		return fmt.Errorf("key ID %q: want ed25519:<version>", id)
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(key, "="))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return fmt.Errorf("%s: key is not unpadded base64 of 32 bytes", id)
	}
	return nil
}
