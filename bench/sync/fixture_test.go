package sync

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
