package configs

import (
	"time"

	"github.com/axonhs/axon/rooms/version"
)

// File and directory names under data_dir, and the default listeners.
const (
	ConfigFileName     = "homeserver.yaml"
	DatabaseDirName    = "db"
	SigningKeyFileName = "signing.key"
	TLSCertFileName    = "tls.crt"
	TLSKeyFileName     = "tls.key"

	DefaultServerName       = "localhost"
	DefaultDataDir          = "axon-data"
	DefaultClientListen     = "127.0.0.1:8008"
	DefaultFederationListen = "127.0.0.1:8448"
	DefaultBcryptRounds     = 12 // Synapse's default
	// DefaultKeyValidityPeriod is one day, as Synapse's key_refresh_interval.
	DefaultKeyValidityPeriod = 24 * time.Hour
)

// Default returns the configuration Axon runs with when nothing is set: a
// loopback-only homeserver named localhost keeping its data in ./axon-data,
// registration closed, rate limits on. Paths under data_dir are filled in by
// Derive, not here, so that a data_dir set later moves them too.
func Default() *Config {
	return &Config{
		ServerName: DefaultServerName,
		DataDir:    DefaultDataDir,
		Listeners: Listeners{
			Client:     DefaultClientListen,
			Federation: DefaultFederationListen,
		},
		BcryptRounds: DefaultBcryptRounds,
		RateLimits: RateLimits{
			Enabled:        true,
			PerSecond:      10,
			Burst:          50,
			LoginPerSecond: 0.5,
			LoginBurst:     10,
		},
		MaxUploadSize:      50 << 20, // Synapse's default, 50M
		TurnURIs:           []string{},
		TurnUserLifetime:   Duration(24 * time.Hour), // Synapse's default
		UsePresence:        true,
		SyncMaxTimeout:     Duration(30 * time.Second),
		DefaultRoomVersion: string(version.Default),
		Log: Log{
			Level:  "info",
			Format: "console",
		},
		TrustedKeyServers:   []TrustedKeyServer{},
		FederationAddresses: map[string]string{},
		KeyValidityPeriod:   Duration(DefaultKeyValidityPeriod),
		OldSigningKeys:      map[string]OldSigningKey{},
	}
}
