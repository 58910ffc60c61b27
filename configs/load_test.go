package configs

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, ConfigFileName)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaultsWithoutFile(t *testing.T) {
	cfg, err := Sources{}.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Derive()
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
	if cfg.ServerName != "localhost" || cfg.Listeners.Client != "127.0.0.1:8008" ||
		cfg.Listeners.Federation != "127.0.0.1:8448" || cfg.EnableRegistration || !cfg.RateLimits.Enabled ||
		cfg.BcryptRounds != 12 || cfg.MaxUploadSize != 50<<20 || cfg.Log.Format != "console" {
		t.Errorf("unexpected defaults %+v", cfg)
	}
	if cfg.Database.Path != filepath.Join("axon-data", "db") || cfg.SigningKeyPath != filepath.Join("axon-data", "signing.key") ||
		cfg.Listeners.TLSCert != filepath.Join("axon-data", "tls.crt") || cfg.Listeners.TLSKey != filepath.Join("axon-data", "tls.key") {
		t.Errorf("derived paths %+v", cfg)
	}
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "server_name: file.example\nlisteners:\n  client: \"127.0.0.1:1001\"\n  federation: \"127.0.0.1:1002\"\nlog:\n  level: warn\n")
	env := map[string]string{
		"AXON_CLIENT_LISTEN":     "127.0.0.1:2001",
		"AXON_FEDERATION_LISTEN": "127.0.0.1:2002",
		"AXON_RATE_LIMITS":       "off",
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags := RegisterFlags(fs)
	if err := fs.Parse([]string{"-federation-listen", "127.0.0.1:3002", "--enable-registration"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Sources{File: path, LookupEnv: envOf(env), Flags: flags}.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, got, want string }{
		{"server_name (file only)", cfg.ServerName, "file.example"},
		{"log.level (file only)", cfg.Log.Level, "warn"},
		{"listeners.client (env over file)", cfg.Listeners.Client, "127.0.0.1:2001"},
		{"listeners.federation (flag over env)", cfg.Listeners.Federation, "127.0.0.1:3002"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.key, tt.got, tt.want)
		}
	}
	if cfg.RateLimits.Enabled {
		t.Error("AXON_RATE_LIMITS=off left rate limits on")
	}
	if !cfg.EnableRegistration {
		t.Error("bare -enable-registration did not enable registration")
	}
}

func TestLoadEveryOverride(t *testing.T) {
	values := map[string]string{
		"AXON_SERVER_NAME":                "env.example:8448",
		"AXON_DATA_DIR":                   "/srv/axon",
		"AXON_CLIENT_LISTEN":              "[::1]:8008",
		"AXON_FEDERATION_LISTEN":          "0.0.0.0:8448",
		"AXON_TLS_CERT":                   "/etc/axon/cert.pem",
		"AXON_TLS_KEY":                    "/etc/axon/key.pem",
		"AXON_DEBUG_LISTEN":               "127.0.0.1:6060",
		"AXON_ENABLE_REGISTRATION":        "true",
		"AXON_REGISTRATION_SHARED_SECRET": "s3cret",
		"AXON_RATE_LIMITS":                "off",
		"AXON_LOG_LEVEL":                  "debug",
		"AXON_LOG_FORMAT":                 "json",
	}
	if len(values) != len(Overrides) {
		t.Fatalf("test covers %d variables, table has %d", len(values), len(Overrides))
	}
	check := func(t *testing.T, cfg *Config) {
		t.Helper()
		if cfg.ServerName != "env.example:8448" || cfg.DataDir != "/srv/axon" || cfg.Listeners.Client != "[::1]:8008" ||
			cfg.Listeners.Federation != "0.0.0.0:8448" || cfg.Listeners.TLSCert != "/etc/axon/cert.pem" ||
			cfg.Listeners.TLSKey != "/etc/axon/key.pem" || cfg.Listeners.Debug != "127.0.0.1:6060" || !cfg.EnableRegistration || cfg.RegistrationSharedSecret != "s3cret" ||
			cfg.RateLimits.Enabled || cfg.Log.Level != "debug" || cfg.Log.Format != "json" {
			t.Errorf("overrides not applied: %+v", cfg)
		}
		if cfg.Database.Path != filepath.Join("/srv/axon", "db") || cfg.SigningKeyPath != filepath.Join("/srv/axon", "signing.key") {
			t.Errorf("paths not derived from the overridden data_dir: %+v", cfg)
		}
	}
	t.Run("env", func(t *testing.T) {
		cfg, err := Sources{LookupEnv: envOf(values)}.Load()
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
	t.Run("flags", func(t *testing.T) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		flags := RegisterFlags(fs)
		var args []string
		for _, o := range Overrides {
			args = append(args, "-"+o.Flag+"="+values[o.Env])
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := Sources{Flags: flags}.Load()
		if err != nil {
			t.Fatal(err)
		}
		check(t, cfg)
	})
}

func TestLoadOverrideErrorsNameSource(t *testing.T) {
	_, err := Sources{LookupEnv: envOf(map[string]string{"AXON_ENABLE_REGISTRATION": "perhaps"})}.Load()
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "AXON_ENABLE_REGISTRATION") ||
		!strings.Contains(err.Error(), "enable_registration") {
		t.Errorf("error = %v", err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	RegisterFlags(fs)
	if err := fs.Parse([]string{"-rate-limits=sometimes"}); err == nil || !strings.Contains(err.Error(), "rate-limits") {
		t.Errorf("bad bool flag: %v", err)
	}
}

func TestLoadRelativePathsFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "data_dir: data\nsigning_key_path: keys/signing.key\n")
	cfg, err := Sources{File: path}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(dir, "data") || cfg.SigningKeyPath != filepath.Join(dir, "keys", "signing.key") ||
		cfg.Database.Path != filepath.Join(dir, "data", "db") {
		t.Errorf("paths = %q %q %q", cfg.DataDir, cfg.SigningKeyPath, cfg.Database.Path)
	}
	// A relative path from the environment stays relative to the working directory.
	cfg, err = Sources{File: path, LookupEnv: envOf(map[string]string{"AXON_DATA_DIR": "elsewhere"})}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "elsewhere" {
		t.Errorf("data_dir = %q", cfg.DataDir)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, ErrNoFile) {
		t.Errorf("error = %v, want ErrNoFile", err)
	}
}

func TestLoadFileErrorsNameFileAndKey(t *testing.T) {
	path := writeFile(t, t.TempDir(), "server_name: ok\nlisteners:\n  federaton: \"127.0.0.1:1\"\n")
	_, err := Sources{File: path}.Load()
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "listeners.federaton (line 3)") {
		t.Errorf("error = %v", err)
	}
}
