package homeserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
)

// A server shut down right after Start stops, even when its listeners'
// serving goroutines had not begun to accept yet.
func TestShutdownRightAfterStart(t *testing.T) {
	for i := range 20 {
		cfg := homeservertest.Config(t, t.TempDir())
		homeservertest.WriteSigningKey(t, cfg)
		homeservertest.WriteTLSCert(t, cfg)
		srv, err := homeserver.New(cfg, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done <- srv.Shutdown(ctx)
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: Shutdown right after Start did not return", i)
		}
	}
}

// listeners.debug serves the profiles, and stops with the server.
func TestDebugListenerServesProfiles(t *testing.T) {
	cfg := homeservertest.Config(t, t.TempDir())
	cfg.Listeners.Debug = "127.0.0.1:0"
	homeservertest.WriteSigningKey(t, cfg)
	homeservertest.WriteTLSCert(t, cfg)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.DebugAddr()
	status, body, err := fasthttp.GetTimeout(nil, "http://"+addr+"/debug/pprof/goroutine?debug=1", 10*time.Second)
	if err != nil || status != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("goroutine profile: %d %v %.80q", status, err, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fasthttp.GetTimeout(nil, "http://"+addr+"/debug/pprof/", time.Second); err == nil {
		t.Error("the debug listener still answers after Shutdown")
	}
}
