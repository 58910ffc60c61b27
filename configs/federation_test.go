package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeFederationOptions(t *testing.T) {
	doc := `
trusted_key_servers:
  - server_name: notary.example
    verify_keys:
      "ed25519:a": "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw"
federation_addresses:
  "b.example": "127.0.0.1:8449"
federation_insecure_skip_verify: true
key_validity_period: 2h
old_signing_keys:
  "ed25519:old": {key: "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw", expired_ts: 1700000000000}
`
	cfg := Default()
	if _, err := Decode(strings.NewReader(doc), cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedKeyServers) != 1 || cfg.TrustedKeyServers[0].ServerName != "notary.example" ||
		cfg.FederationAddresses["b.example"] != "127.0.0.1:8449" || !cfg.FederationInsecureSkipVerify ||
		cfg.OldSigningKeys["ed25519:old"].ExpiredTS != 1700000000000 {
		t.Fatalf("decoded %+v", cfg)
	}
	cfg.ServerName, cfg.DataDir = "a.example", "/tmp"
	cfg.Derive()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"trusted_key_servers:\n  - server_name: n.example\n    verify_key: {}\n",
		"federation_addresses: [\"a\"]\n",
		"trusted_key_servers: {a: b}\n",
	} {
		if _, err := Decode(strings.NewReader(bad), Default()); !errors.Is(err, ErrWrongType) && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%q decoded: %v", bad, err)
		}
	}
}

func TestValidateFederationOptions(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		mod       func(c *Config)
	}{
		{"notary name", "trusted_key_servers", func(c *Config) { c.TrustedKeyServers = []TrustedKeyServer{{ServerName: "bad name"}} }},
		{"notary key", "trusted_key_servers", func(c *Config) {
			c.TrustedKeyServers = []TrustedKeyServer{{ServerName: "n.example", VerifyKeys: map[string]string{"ed25519:a": "short"}}}
		}},
		{"address without port", "federation_addresses", func(c *Config) { c.FederationAddresses = map[string]string{"b.example": "127.0.0.1"} }},
		{"address for invalid name", "federation_addresses", func(c *Config) { c.FederationAddresses = map[string]string{"b example": "127.0.0.1:1"} }},
		{"validity", "key_validity_period", func(c *Config) { c.KeyValidityPeriod = 0 }},
		{"old key id", "old_signing_keys", func(c *Config) {
			c.OldSigningKeys = map[string]OldSigningKey{"rsa:x": {Key: "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw", ExpiredTS: 1}}
		}},
		{"old key expiry", "old_signing_keys", func(c *Config) {
			c.OldSigningKeys = map[string]OldSigningKey{"ed25519:x": {Key: "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Derive()
			tc.mod(c)
			err := c.Validate()
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("err = %v, want one about %s", err, tc.key)
			}
		})
	}
}
