package configs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error Load or Validate returns wraps one of them in
// a *KeyError that names the key.
var (
	ErrUnknownKey       = errors.New("configs: unknown key")
	ErrDuplicateKey     = errors.New("configs: key given twice")
	ErrWrongType        = errors.New("configs: wrong type")
	ErrInvalid          = errors.New("configs: invalid value")
	ErrOpenRegistration = errors.New("configs: open registration on a public listener")
	ErrNoFile           = errors.New("configs: config file not found")
)

// KeyError ties an error to the configuration key it is about, and to where
// the value came from: a file line, an environment variable or a flag.
type KeyError struct {
	Key    string // dotted YAML key, e.g. "listeners.client"
	Source string // "line 7", "AXON_CLIENT_LISTEN", "-client-listen" or ""
	Err    error
}

// Error reads "key (source): problem"; the key already says which package
// is speaking, so the inner "configs: " prefix is dropped.
func (e *KeyError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "configs: ")
	if e.Source != "" {
		return fmt.Sprintf("%s (%s): %s", e.Key, e.Source, msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, msg)
}

func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(key, source string, err error) *KeyError {
	return &KeyError{Key: key, Source: source, Err: err}
}
