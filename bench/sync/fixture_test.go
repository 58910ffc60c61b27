package sync

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

const benchUser = "bench"

// config is a loopback configuration under dir with fresh keys; it returns
// the signing key so that storage can be filled before the server starts.
func config(tb testing.TB, dir string) (*configs.Config, signing.KeyPair) {
	tb.Helper()
	cfg := configs.Default()
	cfg.FederationAddressesOnly = true // loopback only: no DNS for unknown names
	cfg.DataDir = dir
	cfg.Listeners.Client, cfg.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = 4
	cfg.Derive()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	k, err := signing.GenerateKey("bench")
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := signing.WriteKeyFile(&buf, k); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.SigningKeyPath, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return cfg, k
}

// fillRooms creates rooms of @bench through the room actors, each with
// events events in all (its creation events plus messages), proposing from
// 64 goroutines so that commits coalesce.
func fillRooms(tb testing.TB, cfg *configs.Config, key signing.KeyPair, rooms, events int) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o700); err != nil {
		tb.Fatal(err)
	}
	st, err := persistence.Open(cfg.Database.Path, persistence.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	sys := actors.NewSystem(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dir, err := room.NewDirectory(sys, room.Config{Store: st, Signer: core.Signer{ServerName: cfg.ServerName, Key: key, Rand: rand.Reader}})
	if err != nil {
		tb.Fatal(err)
	}
	creator := "@" + benchUser + ":" + cfg.ServerName
	v, err := version.Lookup(version.Default)
	if err != nil {
		tb.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(rooms) {
					return
				}
				roomID, err := dir.Create(core.CreateParams{Creator: creator, Version: v, Preset: core.PresetPrivateChat})
				if err != nil {
					errs <- err
					return
				}
				created, err := st.RoomStream(roomID, 0, ^uint64(0), events)
				if err != nil {
					errs <- err
					return
				}
				for j := len(created); j < events; j++ {
					content, _ := json.Marshal(map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("message %d in room %d", j, i)})
					p := core.Proposal{Type: "m.room.message", Sender: creator, Content: content}
					if _, err := dir.Propose(context.Background(), roomID, p, nil); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dir.Stop(ctx); err != nil {
		tb.Fatal(err)
	}
	sys.Shutdown()
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
}

// startServerFor starts the homeserver for the whole process (the
// initial-sync fixture outlives one benchmark run) and returns its client
// address.
func startServerFor(cfg *configs.Config) string {
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	return srv.ClientAddr()
}
