package abort

import "sync"

// Signal is closed once, by the first Abort; later reasons are dropped.
// It is safe for concurrent use; make one with New.
type Signal struct {
	once sync.Once
	ch   chan struct{}
	err  error
}

// New is a signal not yet raised.
func New() *Signal { return &Signal{ch: make(chan struct{})} }

// Abort raises the signal with err unless it was raised before.
func (s *Signal) Abort(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.ch)
	})
}

// Done is closed when the signal is raised.
func (s *Signal) Done() <-chan struct{} { return s.ch }

// Err is the reason the signal was raised with, or nil while it is not.
// Reading err after the channel closed orders the read after Abort's
// write.
func (s *Signal) Err() error {
	select {
	case <-s.ch:
		return s.err
	default:
		return nil
	}
}
