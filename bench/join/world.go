package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/version"
)

const residentName = "resident.bench"

// world is the fake resident server on its hub, with its generated room
// and the send_join answer, made once per run and joined by fresh Axons.
type world struct {
	hub       *fedtest.Hub
	peer      *fedtest.Peer
	room      *room
	answer    []byte
	dir       string
	generated time.Duration
}

// newWorld generates the room and serves it; the joining servers keep
// their data under dataDir ("" for the system's temporary directory).
// forge, if set, gives replacements for events of the answer, by event ID
// (a lying resident).
func newWorld(v version.Spec, members int, dataDir string, forge func(*room, *fedtest.Peer) (map[string]json.RawMessage, error)) (*world, error) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &world{hub: hub}
	if w.peer, err = hub.AddPeer(residentName); err != nil {
		w.close()
		return nil, err
	}
	start := time.Now()
	if w.room, err = generate(w.peer, v, members); err != nil {
		w.close()
		return nil, err
	}
	var forged map[string]json.RawMessage
	if forge != nil {
		if forged, err = forge(w.room, w.peer); err != nil {
			w.close()
			return nil, err
		}
	}
	w.answer = w.room.answer(forged)
	w.generated = time.Since(start)
	serveJoins(w.peer, w.room, w.answer)
	if w.dir, err = os.MkdirTemp(dataDir, "axon-bench-join-"); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// joinFresh starts a fresh Axon, registers a user, measures the user's
// join of the room and stops the server.
func (w *world) joinFresh() (split, error) {
	var s split
	err := w.withAxon(func(a *axon, c *mx.Client, token string) error {
		var err error
		s, err = join(a, c, token, w.room)
		return err
	})
	return s, err
}

// withAxon runs f with a fresh Axon and a registered user's client and
// token, then stops the server.
func (w *world) withAxon(f func(a *axon, c *mx.Client, token string) error) (err error) {
	a, err := startAxon(w.dir, w.hub)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := a.stop(); err == nil {
			err = stopErr
		}
	}()
	c, token, err := register(a)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(a, c, token)
}

func (w *world) close() {
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
	w.hub.Close()
}
