package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/parallel"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/version"
)

// setupAttempts bounds the retries of one rate-limited set-up request.
const setupAttempts = 60

// ErrJoin is a synthetic server that could not join the room.
var ErrJoin = errors.New("fanout: joining over federation failed")

// user is one registered local account.
type user struct{ name, id, token string }

// world is everything the set-up made.
type world struct {
	users      []user
	roomID     string
	version    version.Spec
	serverName string // the target's, from its users' IDs
	resolver   *federation.Resolver
	roots      *x509.CertPool
}

// setUp registers the senders, creates or joins the room, and joins one
// user of every synthetic server over federation.
func setUp(ctx context.Context, c *mx.Client, o *options, f *fleet, log io.Writer, counts func(string, int64)) (*world, error) {
	w := &world{users: make([]user, o.senders)}
	t0 := time.Now()
	err := parallel.Do(8, o.senders, func(i int) error {
		u, err := registerOrLogin(c, o, fmt.Sprintf("%s-%d", o.Prefix, i))
		w.users[i] = u
		return err
	})
	if err != nil {
		return w, fmt.Errorf("registering users: %w", err)
	}
	_, w.serverName, _ = strings.Cut(w.users[0].id, ":")
	fmt.Fprintf(log, "registered %d local users on %s in %s\n", o.senders, w.serverName, time.Since(t0).Round(time.Millisecond))

	w.roomID = o.room
	if w.roomID == "" {
		err = mx.Retrying(setupAttempts, func() error {
			id, err := c.CreateRoom(w.users[0].token, "public_chat")
			w.roomID = id
			return err
		})
		if err != nil {
			return w, fmt.Errorf("creating the room: %w", err)
		}
	}
	first := 1
	if o.room != "" {
		first = 0
	}
	for _, u := range w.users[first:] {
		if err := mx.Retrying(setupAttempts, func() error { return c.Join(u.token, w.roomID) }); err != nil {
			return w, fmt.Errorf("joining %s as %s: %w", w.roomID, u.id, err)
		}
	}
	var create struct {
		RoomVersion string `json:"room_version"`
	}
	if err := c.Do("GET", "/_matrix/client/v3/rooms/"+url.PathEscape(w.roomID)+"/state/m.room.create/", w.users[0].token, nil, &create); err != nil {
		return w, fmt.Errorf("reading the room's create event: %w", err)
	}
	if create.RoomVersion == "" {
		create.RoomVersion = "1"
	}
	if w.version, err = version.Lookup(version.ID(create.RoomVersion)); err != nil {
		return w, fmt.Errorf("room %s: %w", w.roomID, err)
	}

	overrides := map[string]string{}
	if o.fedAddr != "" {
		overrides[w.serverName] = o.fedAddr
	}
	w.resolver = federation.NewResolver(federation.ResolverConfig{Overrides: overrides})
	if o.targetCA != "" {
		pem, err := os.ReadFile(o.targetCA)
		if err != nil {
			return w, fmt.Errorf("-target-ca: %w", err)
		}
		if w.roots, err = federation.LoadRootCAs(pem); err != nil {
			return w, fmt.Errorf("-target-ca: %w", err)
		}
	}
	jc := fedtest.JoinConfig{Resolver: w.resolver, RootCAs: w.roots, InsecureSkipVerify: o.insecure, Timeout: time.Minute}
	t0 = time.Now()
	var joined atomic.Int64
	err = parallel.Do(o.joinWidth, len(f.peers), func(i int) error {
		p := f.peers[i]
		var err error
		for attempt := range 3 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if _, err = p.Join(ctx, jc, w.serverName, w.roomID, "@fanout:"+p.Name); err == nil {
				joined.Add(1)
				return nil
			}
			time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
		}
		return fmt.Errorf("%w: %s: %w", ErrJoin, p.Name, err)
	})
	counts("servers joined", joined.Load())
	if err != nil {
		return w, fmt.Errorf("%w (is the target's federation listener reachable at %s, and does it reach the synthetic servers? see -fed, -names)", err, fedWhere(o, w))
	}
	fmt.Fprintf(log, "joined %d synthetic servers to %s (room version %s) over federation in %s\n",
		len(f.peers), w.roomID, w.version.ID, time.Since(t0).Round(time.Millisecond))
	return w, nil
}

func fedWhere(o *options, w *world) string {
	if o.fedAddr != "" {
		return o.fedAddr
	}
	return w.serverName + " (by discovery)"
}

// registerOrLogin registers name, or logs it in when it exists already (a
// rerun with the same -prefix and -password). The user ID must carry the
// server name: the federation joins are addressed to it.
func registerOrLogin(c *mx.Client, o *options, name string) (user, error) {
	l, err := c.RegisterOrLogin(name, o.Password, o.SharedSecret, setupAttempts)
	if err != nil {
		return user{}, err
	}
	if !strings.Contains(l.UserID, ":") {
		return user{}, fmt.Errorf("%w: user ID %q has no server name", mx.ErrBadAnswer, l.UserID)
	}
	return user{name: name, id: l.UserID, token: l.AccessToken}, nil
}
