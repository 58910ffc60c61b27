package homeserver

import (
	"context"
	"fmt"
	"net"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/pprofhandler"
	"go.uber.org/zap"
)

// listenDebug binds listeners.debug, when set, and serves Go's profiles
// there (/debug/pprof/: CPU, heap, goroutines, block and mutex), so an
// operator can see where a running server spends its time. The
// configuration refuses anything but a loopback address. Called by Start
// with s.mu held.
func (s *Server) listenDebug() error {
	addr := s.cfg.Listeners.Debug
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("homeserver: debug listener %s: %w", addr, err)
	}
	s.debugLn = ln
	s.debug = &fasthttp.Server{Handler: pprofhandler.PprofHandler, Name: "Axon", NoDefaultServerHeader: true}
	s.serve("debug", s.debug.Serve, ln)
	s.log.Info("serving profiles", zap.String("debug", ln.Addr().String()+"/debug/pprof/"))
	return nil
}

// DebugAddr is the bound debug address ("" when off or before Start).
func (s *Server) DebugAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.debugLn == nil {
		return ""
	}
	return s.debugLn.Addr().String()
}

// stopDebug stops the profile listener; a CPU profile being taken is cut
// short by the shutdown deadline.
func (s *Server) stopDebug(ctx context.Context) {
	if s.debug == nil {
		return
	}
	_ = s.debug.ShutdownWithContext(ctx)
	s.debugLn.Close()
}
