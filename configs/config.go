package configs

import "time"

// Config is homeserver.yaml, decoded. Field names follow the keys Matrix
// admins know from Synapse's homeserver.yaml where one exists. Load decodes a
// file strictly (unknown keys are errors), overlays AXON_* environment
// variables and flags, applies defaults and validates; every error names the
// key it is about.
type Config struct {
	ServerName string `yaml:"server_name"`
	// DataDir holds the Pebble store, keys and certificates unless their own
	// paths are set.
	DataDir string `yaml:"data_dir"`

	Listeners Listeners `yaml:"listeners"`
	Database  Database  `yaml:"database"`

	SigningKeyPath string `yaml:"signing_key_path"`

	EnableRegistration        bool   `yaml:"enable_registration"`
	RegistrationSharedSecret  string `yaml:"registration_shared_secret"`
	RegistrationRequiresToken bool   `yaml:"registration_requires_token"`
	// EnableRegistrationWithoutVerification acknowledges open registration
	// on a client listener that is not loopback-only (Synapse's key of the
	// same name); without it Validate refuses that combination.
	EnableRegistrationWithoutVerification bool     `yaml:"enable_registration_without_verification"`
	AllowGuestAccess                      bool     `yaml:"allow_guest_access"`
	RefreshTokenLifetime                  Duration `yaml:"refresh_token_lifetime"`
	AccessTokenLifetime                   Duration `yaml:"access_token_lifetime"` // 0: tokens do not expire unless refresh tokens are used

	// BcryptRounds is the bcrypt cost for new password hashes (Synapse's
	// bcrypt_rounds, default 12). Existing hashes keep the cost they carry.
	BcryptRounds int `yaml:"bcrypt_rounds"`

	RateLimits RateLimits `yaml:"rate_limits"`

	// MaxUploadSize is in bytes (Synapse accepts "50M" as well: see ByteSize).
	MaxUploadSize ByteSize `yaml:"max_upload_size"`

	Log Log `yaml:"log"`
}

// Listeners are the two sockets Axon serves.
type Listeners struct {
	// Client serves the client-server API in plain HTTP (host:port).
	Client string `yaml:"client"`
	// Federation serves the server-server API over TLS (host:port).
	Federation string `yaml:"federation"`
	TLSCert    string `yaml:"tls_certificate_path"`
	TLSKey     string `yaml:"tls_private_key_path"`
}

// Database locates the Pebble store.
type Database struct {
	Path string `yaml:"path"`
}

// RateLimits configures the per-IP and per-user token buckets.
type RateLimits struct {
	Enabled bool `yaml:"enabled"`
	// PerSecond and Burst apply to each client IP and each user separately.
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst_count"`
	// Login limits /login attempts per IP.
	LoginPerSecond float64 `yaml:"login_per_second"`
	LoginBurst     int     `yaml:"login_burst_count"`
}

// Log configures zap.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // console or json
}

// Duration is a time.Duration written in YAML as "30s", "5m", "1h" or "7d".
type Duration time.Duration

// ByteSize is a size written as an integer or with a K/M/G suffix ("50M").
type ByteSize int64
