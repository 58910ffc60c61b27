package fill

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// Width is how many goroutines propose at once.
const Width = 64

// Filler holds the store of a homeserver's configuration open with its
// room actors running, signing as the server.
type Filler struct {
	Store   *persistence.Store
	Rooms   *room.Directory
	Creator string // @localpart:server, the sender of everything written
	sys     *actors.System
}

// Open opens the store under cfg and starts the room actors; Close stops
// them.
func Open(cfg *configs.Config, key signing.KeyPair, localpart string) (*Filler, error) {
	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o700); err != nil {
		return nil, err
	}
	st, err := persistence.Open(cfg.Database.Path, persistence.Options{})
	if err != nil {
		return nil, err
	}
	sys := actors.NewSystem(slog.New(slog.NewTextHandler(io.Discard, nil)))
	dir, err := room.NewDirectory(sys, room.Config{Store: st, Signer: core.Signer{ServerName: cfg.ServerName, Key: key, Rand: rand.Reader}})
	if err != nil {
		sys.Shutdown()
		st.Close()
		return nil, err
	}
	return &Filler{Store: st, Rooms: dir, Creator: "@" + localpart + ":" + cfg.ServerName, sys: sys}, nil
}

// CreateRoom creates a private room of the creator in the default room
// version.
func (f *Filler) CreateRoom() (string, error) {
	v, err := version.Lookup(version.Default)
	if err != nil {
		return "", err
	}
	return f.Rooms.Create(core.CreateParams{Creator: f.Creator, Version: v, Preset: core.PresetPrivateChat})
}

// Say sends an m.text message of the creator into roomID.
func (f *Filler) Say(roomID, body string) error {
	content, err := json.Marshal(map[string]any{"msgtype": "m.text", "body": body})
	if err != nil {
		return err
	}
	_, err = f.Rooms.Propose(context.Background(), roomID, core.Proposal{Type: "m.room.message", Sender: f.Creator, Content: content}, nil)
	return err
}

// Parallel calls job(1..n) from Width goroutines and returns the first
// error.
func (f *Filler) Parallel(n int, job func(i int) error) error {
	return parallel.Do(Width, n, func(i int) error { return job(i + 1) })
}

// Close drains the room actors and closes the store.
func (f *Filler) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Rooms.Stop(ctx); err != nil {
		return fmt.Errorf("fill: stopping the room actors: %w", err)
	}
	f.sys.Shutdown()
	return f.Store.Close()
}
