package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestTurnOptionsValidated(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantKey string
	}{
		{"defaults", func(*Config) {}, ""},
		{"configured", func(c *Config) {
			c.TurnURIs = []string{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"}
			c.TurnSharedSecret = "s"
		}, ""},
		{"not a turn URI", func(c *Config) { c.TurnURIs = []string{"https://turn.example.org"} }, "turn_uris"},
		{"negative lifetime", func(c *Config) { c.TurnUserLifetime = -1 }, "turn_user_lifetime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.Derive()
			tc.edit(c)
			err := c.Validate()
			if tc.wantKey == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.wantKey)
			}
		})
	}
}
