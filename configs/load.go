package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Sources says where a configuration comes from. Layers apply in this
// order, each overriding the one before: defaults, the file, environment
// variables, flags; then Derive fills the paths still empty and Validate
// checks the result.
type Sources struct {
	// File is the homeserver.yaml to read; "" means no file.
	File string
	// LookupEnv reads environment variables; nil means none are read.
	LookupEnv func(string) (string, bool)
	// Flags are the serve flags given; nil means none.
	Flags *Flags
}

// Load reads path (if not "") and the process environment, derives paths
// and validates: what `axon serve -config path` does without flags.
func Load(path string) (*Config, error) {
	return Sources{File: path, LookupEnv: os.LookupEnv}.Load()
}

// Load builds and validates the configuration from s.
func (s Sources) Load() (*Config, error) {
	cfg := Default()
	if s.File != "" {
		if err := decodeFile(s.File, cfg); err != nil {
			return nil, err
		}
	}
	var errs []error
	if s.LookupEnv != nil {
		for _, o := range Overrides {
			if v, ok := s.LookupEnv(o.Env); ok {
				errs = append(errs, o.apply(cfg, v, o.Env))
			}
		}
	}
	if s.Flags != nil {
		for _, o := range Overrides {
			if v, ok := s.Flags.given[o.Flag]; ok {
				errs = append(errs, o.apply(cfg, v, "-"+o.Flag))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Derive()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// pathKeys are the options holding file system paths. Relative paths written
// in a config file are relative to the file's directory, so that a config
// keeps working whatever directory axon is started from; relative paths from
// flags and environment variables are relative to the working directory.
var pathKeys = map[string]func(*Config) *string{
	"data_dir":                       func(c *Config) *string { return &c.DataDir },
	"database.path":                  func(c *Config) *string { return &c.Database.Path },
	"signing_key_path":               func(c *Config) *string { return &c.SigningKeyPath },
	"listeners.tls_certificate_path": func(c *Config) *string { return &c.Listeners.TLSCert },
	"listeners.tls_private_key_path": func(c *Config) *string { return &c.Listeners.TLSKey },
}

func decodeFile(path string, cfg *Config) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoFile, path)
	}
	if err != nil {
		return fmt.Errorf("configs: opening %s: %w", path, err)
	}
	defer f.Close()
	set, err := Decode(f, cfg)
	if err != nil {
		return fmt.Errorf("configs: %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for key, field := range pathKeys {
		p := field(cfg)
		if slices.Contains(set, key) && *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return nil
}

// Derive fills the paths left empty with their places under data_dir:
// data_dir/db, data_dir/signing.key, data_dir/tls.crt and data_dir/tls.key.
func (c *Config) Derive() {
	under := func(p *string, name string) {
		if *p == "" {
			*p = filepath.Join(c.DataDir, name)
		}
	}
	under(&c.Database.Path, DatabaseDirName)
	under(&c.SigningKeyPath, SigningKeyFileName)
	under(&c.Listeners.TLSCert, TLSCertFileName)
	under(&c.Listeners.TLSKey, TLSKeyFileName)
}
