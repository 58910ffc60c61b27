package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Sentinel errors of this package.
var (
	ErrNotFound     = errors.New("persistence: not found")
	ErrKeyTooLong   = errors.New("persistence: key component longer than 65535 bytes")
	ErrCorrupt      = errors.New("persistence: corrupt record")
	ErrNonceUnknown = errors.New("persistence: nonce unknown, used or expired")
	ErrTokenInvalid = errors.New("persistence: registration token invalid")
	ErrClosed       = errors.New("persistence: store closed")
)

// Options configure Open.
type Options struct {
	// FS is the file system; nil means the operating system's. Tests pass
	// vfs.NewMem().
	FS vfs.FS
	// Logger receives Pebble's own log lines (a *zap.SugaredLogger fits);
	// nil discards informational and error lines.
	Logger Logger
}

// Logger is the logging interface Pebble expects.
type Logger interface {
	Infof(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Store is the Pebble database with typed accessors.
type Store struct {
	db *pebble.DB

	// singleUse serialises the read-modify-write of rows that no actor owns
	// (shared-secret nonces, registration-token counters).
	singleUse sync.Mutex

	// rooms holds the counters and the stream watermark of the room
	// families (stream.go).
	rooms roomSequences
}

// Open opens (creating if needed) the store in dir. New stores use
// pebble.FormatNewest.
func Open(dir string, o Options) (*Store, error) {
	po := &pebble.Options{FormatMajorVersion: pebble.FormatNewest}
	if o.FS != nil {
		po.FS = o.FS
	}
	po.Logger = quietLogger{}
	if o.Logger != nil {
		po.Logger = o.Logger
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("persistence: opening %s: %w", dir, err)
	}
	return &Store{db: db}, nil
}

// Close flushes the memtable and closes the store.
func (s *Store) Close() error {
	if err := s.db.Flush(); err != nil {
		_ = s.db.Close()
		return fmt.Errorf("persistence: flushing: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("persistence: closing: %w", err)
	}
	return nil
}

// getJSON decodes the value at key into v; ErrNotFound if absent.
func (s *Store) getJSON(key []byte, v any) error {
	val, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("persistence: get: %w", err)
	}
	defer closer.Close()
	// json.Unmarshal copies everything it keeps out of val.
	if err := json.Unmarshal(val, v); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// quietLogger drops Pebble's informational chatter; fatal errors still panic
// as Pebble expects.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
