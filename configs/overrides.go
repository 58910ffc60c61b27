package configs

import (
	"flag"
	"fmt"
	"strings"
)

// Override is one option that can be set without a file, both as an
// AXON_* environment variable and as a flag of `axon serve`. Environment
// variables override the file; flags override both.
type Override struct {
	Key   string // dotted YAML key it sets
	Env   string // environment variable
	Flag  string // flag name, without the dash
	Usage string
	Bool  bool // takes true/false (or on/off); the bare flag means true
	set   func(c *Config, v string) error
}

// Overrides is the table of every option settable by environment variable
// and flag, in the order they are applied.
var Overrides = []Override{
	{Key: "server_name", Env: "AXON_SERVER_NAME", Flag: "server-name",
		Usage: "public server name, e.g. example.org", set: setString(func(c *Config) *string { return &c.ServerName })},
	{Key: "data_dir", Env: "AXON_DATA_DIR", Flag: "data-dir",
		Usage: "directory for the store, keys and certificates", set: setString(func(c *Config) *string { return &c.DataDir })},
	{Key: "listeners.client", Env: "AXON_CLIENT_LISTEN", Flag: "client-listen",
		Usage: "client API listener, host:port (plain HTTP)", set: setString(func(c *Config) *string { return &c.Listeners.Client })},
	{Key: "listeners.federation", Env: "AXON_FEDERATION_LISTEN", Flag: "federation-listen",
		Usage: "federation API listener, host:port (TLS)", set: setString(func(c *Config) *string { return &c.Listeners.Federation })},
	{Key: "listeners.tls_certificate_path", Env: "AXON_TLS_CERT", Flag: "tls-cert",
		Usage: "PEM certificate chain for the federation listener", set: setString(func(c *Config) *string { return &c.Listeners.TLSCert })},
	{Key: "listeners.tls_private_key_path", Env: "AXON_TLS_KEY", Flag: "tls-key",
		Usage: "PEM private key for the federation listener", set: setString(func(c *Config) *string { return &c.Listeners.TLSKey })},
	{Key: "listeners.debug", Env: "AXON_DEBUG_LISTEN", Flag: "debug-listen",
		Usage: "loopback host:port serving /debug/pprof/ (empty: off)", set: setString(func(c *Config) *string { return &c.Listeners.Debug })},
	{Key: "enable_registration", Env: "AXON_ENABLE_REGISTRATION", Flag: "enable-registration", Bool: true,
		Usage: "allow new accounts through /register", set: setBool(func(c *Config) *bool { return &c.EnableRegistration })},
	{Key: "registration_shared_secret", Env: "AXON_REGISTRATION_SHARED_SECRET", Flag: "registration-shared-secret",
		Usage: "secret for shared-secret registration (axon register)", set: setString(func(c *Config) *string { return &c.RegistrationSharedSecret })},
	{Key: "rate_limits.enabled", Env: "AXON_RATE_LIMITS", Flag: "rate-limits", Bool: true,
		Usage: "per-IP and per-user rate limits (on/off)", set: setBool(func(c *Config) *bool { return &c.RateLimits.Enabled })},
	{Key: "log.level", Env: "AXON_LOG_LEVEL", Flag: "log-level",
		Usage: "debug, info, warn or error", set: setString(func(c *Config) *string { return &c.Log.Level })},
	{Key: "log.format", Env: "AXON_LOG_FORMAT", Flag: "log-format",
		Usage: "console or json", set: setString(func(c *Config) *string { return &c.Log.Format })},
}

func setString(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = v
		return nil
	}
}

func setBool(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := ParseBool(v)
		if err != nil {
			return err
		}
		*field(c) = b
		return nil
	}
}

// ParseBool accepts true/false, on/off, yes/no and 1/0, in any case.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean (true/false, on/off)", ErrInvalid, v)
}

// Flags collects the serve override flags given on a command line.
type Flags struct {
	given map[string]string // flag name -> value
}

// RegisterFlags defines every override flag on fs and returns the holder
// that Sources.Flags reads after fs.Parse.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{given: map[string]string{}}
	for _, o := range Overrides {
		fs.Var(&flagValue{flags: f, name: o.Flag, bool: o.Bool}, o.Flag, o.Usage+" (env "+o.Env+")")
	}
	return f
}

type flagValue struct {
	flags *Flags
	name  string
	bool  bool
}

func (v *flagValue) String() string {
	if v == nil || v.flags == nil {
		return ""
	}
	return v.flags.given[v.name]
}

func (v *flagValue) Set(s string) error {
	if v.bool {
		if _, err := ParseBool(s); err != nil {
			return err
		}
	}
	v.flags.given[v.name] = s
	return nil
}

// IsBoolFlag lets "-enable-registration" stand for "-enable-registration=true".
func (v *flagValue) IsBoolFlag() bool { return v.bool }

// apply sets every override whose value source has, naming source in errors.
func (o Override) apply(c *Config, v, source string) error {
	if err := o.set(c, v); err != nil {
		return keyErr(o.Key, source, err)
	}
	return nil
}
