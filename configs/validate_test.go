package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNamesKeys(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		key    string
		err    error
	}{
		{"server name with a space", func(c *Config) { c.ServerName = "my server" }, "server_name", ErrInvalid},
		{"server name port too big", func(c *Config) { c.ServerName = "example.org:99999" }, "server_name", ErrInvalid},
		{"empty data dir", func(c *Config) {
			c.DataDir = ""
			c.Database.Path = "x"
			c.SigningKeyPath = "x"
			c.Listeners.TLSCert = "x"
			c.Listeners.TLSKey = "x"
		}, "data_dir", ErrInvalid},
		{"client without port", func(c *Config) { c.Listeners.Client = "127.0.0.1" }, "listeners.client", ErrInvalid},
		{"federation port not a number", func(c *Config) { c.Listeners.Federation = "127.0.0.1:https" }, "listeners.federation", ErrInvalid},
		{"profiles on every interface", func(c *Config) { c.Listeners.Debug = "0.0.0.0:6060" }, "listeners.debug", ErrInvalid},
		{"profiles without a port", func(c *Config) { c.Listeners.Debug = "127.0.0.1" }, "listeners.debug", ErrInvalid},
		{"listener host garbage", func(c *Config) { c.Listeners.Client = "exa mple:80" }, "listeners.client", ErrInvalid},
		{"empty database path", func(c *Config) { c.Database.Path = "" }, "database.path", ErrInvalid},
		{"empty tls cert", func(c *Config) { c.Listeners.TLSCert = "" }, "listeners.tls_certificate_path", ErrInvalid},
		{"open registration on all interfaces", func(c *Config) { c.EnableRegistration = true; c.Listeners.Client = ":8008" }, "enable_registration", ErrOpenRegistration},
		{"open registration on a public IP", func(c *Config) { c.EnableRegistration = true; c.Listeners.Client = "192.0.2.1:8008" }, "enable_registration", ErrOpenRegistration},
		{"negative lifetime", func(c *Config) { c.AccessTokenLifetime = -1 }, "access_token_lifetime", ErrInvalid},
		{"bcrypt too cheap", func(c *Config) { c.BcryptRounds = 3 }, "bcrypt_rounds", ErrInvalid},
		{"bcrypt too dear", func(c *Config) { c.BcryptRounds = 32 }, "bcrypt_rounds", ErrInvalid},
		{"rate zero", func(c *Config) { c.RateLimits.PerSecond = 0 }, "rate_limits.per_second", ErrInvalid},
		{"burst zero", func(c *Config) { c.RateLimits.Burst = 0 }, "rate_limits.burst_count", ErrInvalid},
		{"login rate negative", func(c *Config) { c.RateLimits.LoginPerSecond = -1 }, "rate_limits.login_per_second", ErrInvalid},
		{"login burst zero", func(c *Config) { c.RateLimits.LoginBurst = 0 }, "rate_limits.login_burst_count", ErrInvalid},
		{"upload size zero", func(c *Config) { c.MaxUploadSize = 0 }, "max_upload_size", ErrInvalid},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level", ErrInvalid},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format", ErrInvalid},
		{"unknown room version", func(c *Config) { c.DefaultRoomVersion = "13" }, "default_room_version", ErrInvalid},
		{"empty room version", func(c *Config) { c.DefaultRoomVersion = "" }, "default_room_version", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Derive()
			tt.modify(c)
			err := c.Validate()
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tt.key {
				t.Errorf("error %v names %v, want key %q", err, ke, tt.key)
			}
			if !strings.HasPrefix(err.Error(), tt.key+":") {
				t.Errorf("message %q does not start with the key", err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"defaults", func(*Config) {}},
		{"registration on loopback", func(c *Config) { c.EnableRegistration = true }},
		{"registration on localhost", func(c *Config) { c.EnableRegistration = true; c.Listeners.Client = "localhost:8008" }},
		{"registration on IPv6 loopback", func(c *Config) { c.EnableRegistration = true; c.Listeners.Client = "[::1]:8008" }},
		{"public registration with tokens", func(c *Config) {
			c.EnableRegistration, c.RegistrationRequiresToken, c.Listeners.Client = true, true, "0.0.0.0:8008"
		}},
		{"public registration acknowledged", func(c *Config) {
			c.EnableRegistration, c.EnableRegistrationWithoutVerification, c.Listeners.Client = true, true, ":8008"
		}},
		{"rate limits off with zero rates", func(c *Config) { c.RateLimits = RateLimits{} }},
		{"port zero for tests", func(c *Config) { c.Listeners.Client, c.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0" }},
		{"profiles on loopback", func(c *Config) { c.Listeners.Debug = "[::1]:6060" }},
		{"server name with port", func(c *Config) { c.ServerName = "matrix.example.org:8448" }},
		{"server name IPv6", func(c *Config) { c.ServerName = "[::1]:8448" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Derive()
			tt.modify(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	c := Default()
	c.Derive()
	c.ServerName, c.Log.Level, c.BcryptRounds = "", "x", 0
	err := c.Validate()
	for _, key := range []string{"server_name", "log.level", "bcrypt_rounds"} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}
