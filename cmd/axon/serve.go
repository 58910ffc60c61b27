package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// shutdownDeadline bounds draining actors and closing the store after a
// signal; a second signal exits at once.
const shutdownDeadline = 30 * time.Second

func runServe(args []string, io stdio) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", "", "homeserver.yaml to read (default: DATA_DIR/homeserver.yaml, written on first run)")
	overrides := configs.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: axon [serve] [-config FILE] [flags]")
		fmt.Fprintln(fs.Output(), "\nWithout -config, DATA_DIR/homeserver.yaml is read, and written first if missing.")
		fmt.Fprintln(fs.Output(), "Environment variables override the file; flags override both.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}

	var notes []string // things done before the logger exists
	path := *configPath
	if path == "" {
		var err error
		if path, notes, err = firstRunConfig(overrides); err != nil {
			return err
		}
	}
	cfg, err := configs.Sources{File: path, LookupEnv: os.LookupEnv, Flags: overrides}.Load()
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, zapcore.Lock(zapcore.AddSync(io.err)))
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing to do if stderr fails
	for _, n := range notes {
		log.Info(n)
	}
	log.Info("configuration loaded", zap.String("path", path), zap.String("server_name", cfg.ServerName))

	files, err := prepareFiles(cfg, time.Now())
	if err != nil {
		return err
	}
	if files.keyCreated {
		log.Info("generated signing key", zap.String("path", cfg.SigningKeyPath), zap.String("key_id", string(files.key.ID)))
	}
	if files.certCreated {
		log.Warn("generated a self-signed TLS certificate for the federation listener; other servers will not trust it",
			zap.String("path", cfg.Listeners.TLSCert))
	}

	// Catch signals before opening the store: one arriving while New runs
	// is then served by a clean shutdown right after Start.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := homeserver.New(cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		shutdown(srv, log)
		return err
	}
	log.Info("serving",
		zap.String("client", srv.ClientAddr()),
		zap.String("federation", srv.FederationAddr()),
		zap.Bool("registration", cfg.EnableRegistration))

	<-ctx.Done()
	stop() // a second signal now ends the process at once
	log.Info("signal received, shutting down", zap.Duration("deadline", shutdownDeadline))
	if err := shutdown(srv, log); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func shutdown(srv *homeserver.Server, log *zap.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownDeadline)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Error("shutdown", zap.Error(err))
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
