package configs

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/axonhs/axon/rooms/version"
)

// Validate checks every option and returns all problems at once, each a
// *KeyError naming its key. Call it after Derive.
//
// Open registration: enable_registration on a client listener reachable
// from other machines lets anyone create accounts, which spammers find
// within hours. Validate refuses it unless registration_requires_token is
// set, or enable_registration_without_verification acknowledges it (the key
// Synapse uses for the same guard). registration_shared_secret does not
// count: it adds an admin path, it does not close the public one.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, err error) { errs = append(errs, keyErr(key, "", err)) }
	invalid := func(key, format string, a ...any) {
		bad(key, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}

	if err := CheckServerName(c.ServerName); err != nil {
		bad("server_name", err)
	}
	if c.DataDir == "" {
		invalid("data_dir", "must not be empty")
	}
	if err := checkListen(c.Listeners.Client); err != nil {
		bad("listeners.client", err)
	}
	if err := checkListen(c.Listeners.Federation); err != nil {
		bad("listeners.federation", err)
	}
	if d := c.Listeners.Debug; d != "" {
		if err := checkListen(d); err != nil {
			bad("listeners.debug", err)
		} else if !IsLoopback(d) {
			invalid("listeners.debug", fmt.Sprintf("%q is not a loopback address: profiles show the server's internals", d))
		}
	}
	for _, p := range []struct{ key, path string }{
		{"listeners.tls_certificate_path", c.Listeners.TLSCert},
		{"listeners.tls_private_key_path", c.Listeners.TLSKey},
		{"database.path", c.Database.Path},
		{"signing_key_path", c.SigningKeyPath},
	} {
		if p.path == "" {
			invalid(p.key, "must not be empty")
		}
	}
	if c.EnableRegistration && !c.RegistrationRequiresToken && !c.EnableRegistrationWithoutVerification &&
		!IsLoopback(c.Listeners.Client) {
		bad("enable_registration", fmt.Errorf("%w: listeners.client %q is reachable from other machines; "+
			"set registration_requires_token: true, or enable_registration_without_verification: true to accept open sign-ups",
			ErrOpenRegistration, c.Listeners.Client))
	}
	if c.RefreshTokenLifetime < 0 {
		invalid("refresh_token_lifetime", "must not be negative")
	}
	if c.TurnUserLifetime < 0 {
		invalid("turn_user_lifetime", "must not be negative")
	}
	for _, u := range c.TurnURIs {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			invalid("turn_uris", "entries must be turn: or turns: URIs")
			break
		}
	}
	if c.AccessTokenLifetime < 0 {
		invalid("access_token_lifetime", "must not be negative")
	}
	if c.BcryptRounds < bcrypt.MinCost || c.BcryptRounds > bcrypt.MaxCost {
		invalid("bcrypt_rounds", "%d is outside bcrypt's %d to %d", c.BcryptRounds, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if rl := c.RateLimits; rl.Enabled {
		if !(rl.PerSecond > 0) {
			invalid("rate_limits.per_second", "must be positive when rate limits are enabled")
		}
		if rl.Burst < 1 {
			invalid("rate_limits.burst_count", "must be at least 1 when rate limits are enabled")
		}
		if !(rl.LoginPerSecond > 0) {
			invalid("rate_limits.login_per_second", "must be positive when rate limits are enabled")
		}
		if rl.LoginBurst < 1 {
			invalid("rate_limits.login_burst_count", "must be at least 1 when rate limits are enabled")
		}
	}
	if _, err := version.Lookup(version.ID(c.DefaultRoomVersion)); err != nil {
		invalid("default_room_version", "%q is not a room version this server implements", c.DefaultRoomVersion)
	}
	if c.MaxUploadSize <= 0 {
		invalid("max_upload_size", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		invalid("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "console", "json":
	default:
		invalid("log.format", "%q: want console or json", c.Log.Format)
	}
	errs = append(errs, c.validateFederation()...)
	return errors.Join(errs...)
}

// checkListen accepts host:port with a numeric port 0-65535 (0 picks a free
// port, for tests). The host may be empty (all interfaces).
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %q: want host:port, e.g. 127.0.0.1:8008", ErrInvalid, addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%w: %q: port must be a number from 0 to 65535", ErrInvalid, addr)
	}
	if host != "" && net.ParseIP(host) == nil {
		if err := checkDNSName(host); err != nil {
			return fmt.Errorf("%w: %q: %v", ErrInvalid, addr, err)
		}
	}
	return nil
}

// IsLoopback reports whether a host:port listener is reachable only from
// this machine: "localhost" or a loopback IP. An empty host listens on
// every interface and is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
