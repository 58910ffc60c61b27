package homeserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"go.uber.org/zap"
)

// Start binds the client listener (plain HTTP) and the federation listener
// (TLS) and serves them in the background. "127.0.0.1:0" picks a free port;
// ClientAddr and FederationAddr tell which.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.shutdown {
		return ErrStarted
	}
	cl, err := net.Listen("tcp", s.cfg.Listeners.Client)
	if err != nil {
		return fmt.Errorf("homeserver: client listener %s: %w", s.cfg.Listeners.Client, err)
	}
	fl, err := net.Listen("tcp", s.cfg.Listeners.Federation)
	if err != nil {
		cl.Close()
		return fmt.Errorf("homeserver: federation listener %s: %w", s.cfg.Listeners.Federation, err)
	}
	if err := s.listenDebug(); err != nil {
		cl.Close()
		fl.Close()
		return err
	}
	s.clientLn, s.federationLn = cl, tls.NewListener(fl, s.tlsConfig)
	s.started = true
	s.serve("client", s.client.Serve, s.clientLn)
	s.serve("federation", s.federation.Serve, s.federationLn)
	s.log.Info("listening", zap.String("client", cl.Addr().String()), zap.String("federation", fl.Addr().String()))
	return nil
}

func (s *Server) serve(name string, serve func(net.Listener) error, ln net.Listener) {
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		if err := serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("listener stopped", zap.String("listener", name), zap.Error(err))
		}
	}()
}

// ClientAddr is the bound client address ("" before Start).
func (s *Server) ClientAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clientLn == nil {
		return ""
	}
	return s.clientLn.Addr().String()
}

// FederationAddr is the bound federation address ("" before Start).
func (s *Server) FederationAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.federationLn == nil {
		return ""
	}
	return s.federationLn.Addr().String()
}

// Shutdown stops accepting connections and waits for requests in progress,
// drains the user actors, stops the actor system, then flushes and closes
// Pebble. It returns the first error; later steps still run.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	started := s.started
	s.mu.Unlock()

	var errs []error
	if started {
		if api := s.clientAPI.Load(); api != nil {
			api.StopSyncs() // parked long-polls answer instead of waiting out their timeouts
		}
		if err := s.client.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("homeserver: client listener: %w", err))
		}
		if err := s.federation.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("homeserver: federation listener: %w", err))
		}
		// fasthttp closes only the listeners its Serve has registered: a
		// Serve goroutine that had not started yet when Shutdown ran would
		// accept forever. Closing them here ends it either way.
		s.clientLn.Close()
		s.federationLn.Close()
		s.stopDebug(ctx)
		s.serving.Wait()
	}
	s.e2ee.Close() // before the server actors it hands EDUs to
	if err := errors.Join(s.fed.servers.Stop(ctx), s.rooms.Stop(ctx), s.users.Stop(ctx)); err != nil {
		// Some actor is still busy: closing Pebble under it would crash
		// it. Every acknowledged write is already synced to the WAL, so
		// leaving the store to the process exit loses nothing.
		errs = append(errs, err, ErrStoreLeftOpen)
	} else {
		s.sys.Shutdown()
		if err := s.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.log.Info("homeserver stopped")
	return errors.Join(errs...)
}
