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

	// TurnURIs, TurnSharedSecret and TurnUserLifetime give clients TURN
	// credentials at GET /voip/turnServer (Synapse's keys of the same
	// names; coturn's use-auth-secret). No secret or no URIs: none.
	TurnURIs         []string `yaml:"turn_uris"`
	TurnSharedSecret string   `yaml:"turn_shared_secret"`
	TurnUserLifetime Duration `yaml:"turn_user_lifetime"`

	// UsePresence turns presence on (Synapse's use_presence, default true);
	// off, presence reads as offline and /sync carries no presence.
	UsePresence bool `yaml:"use_presence"`
	// SyncMaxTimeout caps the timeout of a /sync long-poll (default 30s).
	SyncMaxTimeout Duration `yaml:"sync_max_timeout"`
	// DefaultRoomVersion is the room version of rooms created without
	// room_version (POST /createRoom) and the one /capabilities announces
	// as default; it must be a version rooms/version knows (default "12",
	// spec: rooms/_index.md "Room versions").
	DefaultRoomVersion string `yaml:"default_room_version"`

	Log Log `yaml:"log"`

	// Federation: keys, notaries and how to reach other servers.

	// TrustedKeyServers are notaries asked for a server's keys when that
	// server cannot be reached (Synapse's key of the same name; Axon trusts
	// none unless listed).
	TrustedKeyServers []TrustedKeyServer `yaml:"trusted_key_servers"`
	// FederationAddresses maps a server name to the host:port to reach it
	// at, bypassing .well-known and DNS (tests, benchmarks, private
	// networks).
	FederationAddresses map[string]string `yaml:"federation_addresses"`
	// FederationAddressesOnly makes every server missing from
	// FederationAddresses unreachable: no .well-known, SRV or address
	// lookups ever leave the machine (closed test networks, private
	// federations).
	FederationAddressesOnly bool `yaml:"federation_addresses_only"`
	// FederationCAFile is a PEM file of CA certificates trusted for
	// federation, in addition to the system roots and SSL_CERT_FILE.
	FederationCAFile string `yaml:"federation_ca_file"`
	// FederationInsecureSkipVerify turns off certificate checks on outbound
	// federation requests. Axon logs a warning at every start.
	FederationInsecureSkipVerify bool `yaml:"federation_insecure_skip_verify"`
	// KeyValidityPeriod is how far ahead this server's published keys are
	// declared valid (valid_until_ts).
	KeyValidityPeriod Duration `yaml:"key_validity_period"`
	// OldSigningKeys are retired signing keys, published in old_verify_keys
	// so that events they signed still verify (Synapse's key of the same
	// name): key ID → public key and the time it stopped being used.
	OldSigningKeys map[string]OldSigningKey `yaml:"old_signing_keys"`
}

// TrustedKeyServer is one notary. VerifyKeys (key ID → unpadded base64
// ed25519 public key) pins its keys; without them they are fetched from it.
type TrustedKeyServer struct {
	ServerName string            `yaml:"server_name"`
	VerifyKeys map[string]string `yaml:"verify_keys"`
}

// OldSigningKey is a retired key: unpadded base64 public key and expiry in
// milliseconds since the epoch.
type OldSigningKey struct {
	Key       string `yaml:"key"`
	ExpiredTS int64  `yaml:"expired_ts"`
}

// Listeners are the two sockets Axon serves.
type Listeners struct {
	// Client serves the client-server API in plain HTTP (host:port).
	Client string `yaml:"client"`
	// Federation serves the server-server API over TLS (host:port).
	Federation string `yaml:"federation"`
	TLSCert    string `yaml:"tls_certificate_path"`
	TLSKey     string `yaml:"tls_private_key_path"`
	// Debug, when set, serves Go's profiles (/debug/pprof/) in plain HTTP
	// on a loopback host:port; empty turns it off.
	Debug string `yaml:"debug"`
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
