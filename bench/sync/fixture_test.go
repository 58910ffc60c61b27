package sync

import (
	"fmt"
	"testing"

	"go.uber.org/zap"

	"github.com/axonhs/axon/bench/internal/fill"
	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

const benchUser = "bench"

// fillRooms creates rooms of @bench through the room actors, each with
// events events in all (its creation events plus messages), proposing from
// many goroutines so that commits coalesce.
func fillRooms(tb testing.TB, cfg *configs.Config, key signing.KeyPair, rooms, events int) {
	tb.Helper()
	f, err := fill.Open(cfg, key, benchUser)
	if err != nil {
		tb.Fatal(err)
	}
	err = f.Parallel(rooms, func(i int) error {
		roomID, err := f.CreateRoom()
		if err != nil {
			return err
		}
		created, err := f.Store.RoomStream(roomID, 0, ^uint64(0), events)
		if err != nil {
			return err
		}
		for j := len(created); j < events; j++ {
			if err := f.Say(roomID, fmt.Sprintf("message %d in room %d", j, i)); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
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
