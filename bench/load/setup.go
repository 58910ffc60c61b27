package main

import (
	"fmt"
	"io"
	"time"

	"github.com/axonhs/axon/bench/internal/mx"
	"github.com/axonhs/axon/bench/internal/parallel"
)

// setupAttempts bounds the retries of one rate-limited set-up request.
const setupAttempts = 60

// user is one registered account and the device the traffic uses.
type user struct {
	name, id, token string
}

// room is one created room and its fixed members (indexes into world.users);
// members[0] created it.
type room struct {
	id      string
	members []int
	member  map[int]bool
}

// syncer is one /sync loop: its own device of a member user.
type syncer struct {
	name  string
	user  int
	token string
	since string
	// expects[r] is true for the rooms the user is a fixed member of: the
	// rooms whose every message the syncer must see exactly once.
	expects []bool
}

// world is everything the set-up made.
type world struct {
	users   []user
	rooms   []room
	roomIdx map[string]int
	syncers []*syncer
}

// setUp registers the users, creates the rooms, joins their members and
// opens the syncers' devices with one initial /sync each.
func setUp(c *mx.Client, o *options, log io.Writer, counts func(string, int64)) (*world, error) {
	w := &world{users: make([]user, o.users), roomIdx: make(map[string]int)}
	width := min(o.concurrency, 16)
	t0 := time.Now()
	err := parallel.Do(width, o.users, func(i int) error {
		u, err := registerOrLogin(c, o, fmt.Sprintf("%s-%d", o.Prefix, i))
		w.users[i] = u
		return err
	})
	if err != nil {
		return w, fmt.Errorf("registering users: %w", err)
	}
	counts("users", int64(o.users))
	fmt.Fprintf(log, "registered %d users in %s\n", o.users, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	w.rooms = make([]room, o.rooms)
	next := 0
	for r := range w.rooms {
		size := o.roomSizes[r%len(o.roomSizes)]
		rm := room{member: make(map[int]bool, size)}
		for range size {
			rm.members = append(rm.members, next%o.users)
			rm.member[next%o.users] = true
			next++
		}
		w.rooms[r] = rm
	}
	err = parallel.Do(width, o.rooms, func(r int) error {
		return mx.Retrying(setupAttempts, func() error {
			id, err := c.CreateRoom(w.users[w.rooms[r].members[0]].token, "public_chat")
			w.rooms[r].id = id
			return err
		})
	})
	if err != nil {
		return w, fmt.Errorf("creating rooms: %w", err)
	}
	for r, rm := range w.rooms {
		w.roomIdx[rm.id] = r
	}
	type join struct{ room, user int }
	var joins []join
	for r, rm := range w.rooms {
		for _, u := range rm.members[1:] {
			joins = append(joins, join{r, u})
		}
	}
	err = parallel.Do(width, len(joins), func(i int) error {
		j := joins[i]
		return mx.Retrying(setupAttempts, func() error { return c.Join(w.users[j.user].token, w.rooms[j.room].id) })
	})
	if err != nil {
		return w, fmt.Errorf("joining rooms: %w", err)
	}
	counts("rooms", int64(o.rooms))
	counts("joins at set-up", int64(len(joins)))
	fmt.Fprintf(log, "created %d rooms and made %d joins in %s\n", o.rooms, len(joins), time.Since(t0).Round(time.Millisecond))

	// Syncers are devices of users who are members somewhere, spread over
	// them in order.
	var members []int
	for u := range o.users {
		for _, rm := range w.rooms {
			if rm.member[u] {
				members = append(members, u)
				break
			}
		}
	}
	t0 = time.Now()
	w.syncers = make([]*syncer, o.syncers)
	err = parallel.Do(width, o.syncers, func(s int) error {
		u := members[s%len(members)]
		sy := &syncer{name: fmt.Sprintf("syncer-%d", s), user: u, expects: make([]bool, len(w.rooms))}
		for r, rm := range w.rooms {
			sy.expects[r] = rm.member[u]
		}
		err := mx.Retrying(setupAttempts, func() error {
			l, err := c.Login(w.users[u].name, o.Password)
			sy.token = l.AccessToken
			return err
		})
		if err != nil {
			return err
		}
		err = mx.Retrying(setupAttempts, func() error {
			resp, err := c.Sync(sy.token, "", syncFilter, 0)
			if err == nil {
				sy.since = resp.NextBatch
			}
			return err
		})
		if err == nil && sy.since == "" {
			err = fmt.Errorf("%w: initial /sync answered without next_batch", mx.ErrBadAnswer)
		}
		w.syncers[s] = sy
		return err
	})
	if err != nil {
		return w, fmt.Errorf("starting syncers: %w", err)
	}
	if o.syncers > 0 {
		fmt.Fprintf(log, "logged in %d syncers and made their initial syncs in %s\n", o.syncers, time.Since(t0).Round(time.Millisecond))
	}
	return w, nil
}

// registerOrLogin registers name, or logs it in when it exists already (a
// rerun with the same -prefix and -password).
func registerOrLogin(c *mx.Client, o *options, name string) (user, error) {
	l, err := c.RegisterOrLogin(name, o.Password, o.SharedSecret, setupAttempts)
	if err != nil {
		return user{}, err
	}
	return user{name: name, id: l.UserID, token: l.AccessToken}, nil
}
