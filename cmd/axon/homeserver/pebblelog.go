package homeserver

import "go.uber.org/zap"

// pebbleLogger hands Pebble's informational lines (WAL recovery, file
// deletions) to zap at debug level; errors stay errors.
type pebbleLogger struct{ s *zap.SugaredLogger }

func (l pebbleLogger) Infof(format string, args ...any)  { l.s.Debugf(format, args...) }
func (l pebbleLogger) Errorf(format string, args ...any) { l.s.Errorf(format, args...) }
func (l pebbleLogger) Fatalf(format string, args ...any) { l.s.Fatalf(format, args...) }
