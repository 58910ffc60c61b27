package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// HeldEvent looks up an accepted event of the room this server already
// holds (timeline or outlier); ok is false for an unknown or rejected one.
type HeldEvent func(id string) (ev *event.Event, ok bool, err error)

// BackfillChecked is what CheckBackfill made of one /backfill answer.
type BackfillChecked struct {
	// Accepted are the events that passed every check, oldest (lowest
	// depth) first.
	Accepted []*event.Event
	// Refused maps the ID (or, for an unparseable PDU, "#index") of every
	// other PDU to the reason.
	Refused map[string]error
	// NeedAuth lists the refused events that were refused only because
	// an auth event of theirs is neither in the answer nor held: fetching
	// their auth chains (FetchAuthChains) and checking again may accept
	// them.
	NeedAuth []string
}

// backfillParse parses the PDUs of a /backfill answer without the
// limits on the number of prev_events and auth_events: backfill.yaml, "the
// response of backfill MUST NOT be validated on these specific
// restrictions" (event.ParseOptions). Every other endpoint keeps them.
var backfillParse = event.ParseOptions{UnboundedReferences: true}

// errAuthNotHeld marks a refusal for want of an auth event.
var errAuthNotHeld = errors.New("auth event not held")

// CheckBackfill runs the checks of server-server-api "Checks performed on
// receipt of a PDU" on the PDUs of a /backfill answer for roomID:
// format (without the prev_events and auth_events count limits,
// backfillParse), signatures and content hash (as CheckPDU, on as many goroutines as
// there are processors), the room, and then, oldest first, the auth
// rules against the event's own auth events, which must be accepted
// events of the answer or events held here (check 4). A PDU failing any
// check is refused alone; the others stand. create is the room's
// m.room.create event (the auth rules read it in every version).
func CheckBackfill(ctx context.Context, keys *Keyring, roomID string, v version.Spec, create *event.Event, raws []json.RawMessage, held HeldEvent) (BackfillChecked, error) {
	out := BackfillChecked{Refused: make(map[string]error)}
	evs := make([]*event.Event, len(raws))
	errs := make([]error, len(raws))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(raws), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cp, err := checkPDU(ctx, keys, raws[i], v, backfillParse)
				evs[i], errs[i] = cp.Event, err
			}
		}()
	}
	for i := range raws {
		next <- i
	}
	close(next)
	wg.Wait()
	var ok []*event.Event
	seen := make(map[string]bool, len(raws))
	for i, ev := range evs {
		if errs[i] != nil {
			out.Refused[refusedKey(raws[i], i, v)] = errs[i]
			continue
		}
		if ev.RoomID != roomID {
			out.Refused[ev.ID] = fmt.Errorf("%w: %s is of room %s", ErrBadPDU, ev.ID, ev.RoomID)
			continue
		}
		if seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		ok = append(ok, ev)
	}
	slices.SortStableFunc(ok, func(x, y *event.Event) int {
		switch {
		case x.Depth < y.Depth:
			return -1
		case x.Depth > y.Depth:
			return 1
		}
		return 0
	})
	accepted := make(map[string]*event.Event, len(ok))
	// The same few auth events (create, power levels, the senders'
	// memberships) serve most of an answer: each is read and parsed once.
	heldOnce := make(map[string]*event.Event)
	lookup := func(id string) (*event.Event, bool, error) {
		if a, ok := heldOnce[id]; ok {
			return a, true, nil
		}
		a, ok, err := held(id)
		if ok && err == nil {
			heldOnce[id] = a
		}
		return a, ok, err
	}
	for _, ev := range ok {
		if err := checkBackfillAuth(ev, create, accepted, lookup); err != nil {
			out.Refused[ev.ID] = err
			if errors.Is(err, errAuthNotHeld) {
				out.NeedAuth = append(out.NeedAuth, ev.ID)
			}
			continue
		}
		accepted[ev.ID] = ev
		out.Accepted = append(out.Accepted, ev)
	}
	return out, ctx.Err()
}

// checkBackfillAuth checks ev against its auth events (the auth_events
// list, then the auth rules with those events as the state, plus the
// create event that version 12 does not cite). An auth event accepted
// earlier in the answer comes before the ones held here; one that is in
// neither refuses ev: without it ev cannot be verified.
func checkBackfillAuth(ev, create *event.Event, accepted map[string]*event.Event, held HeldEvent) error {
	if ev.Type == event.TypeCreate && ev.IsState() && *ev.StateKey == "" {
		if ev.ID != create.ID {
			return fmt.Errorf("%w: a second m.room.create %s", ErrBackfillAuth, ev.ID)
		}
		return nil
	}
	authEvs := make([]*event.Event, 0, len(ev.AuthEvents))
	for _, id := range ev.AuthEvents {
		if a, ok := accepted[id]; ok {
			authEvs = append(authEvs, a)
			continue
		}
		a, ok, err := held(id)
		if err != nil {
			return fmt.Errorf("reading auth event %s of %s: %w", id, ev.ID, err)
		}
		if !ok {
			return fmt.Errorf("%w: %w: %s of %s", ErrBackfillAuth, errAuthNotHeld, id, ev.ID)
		}
		authEvs = append(authEvs, a)
	}
	if err := auth.CheckAuthEvents(ev, authEvs); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBackfillAuth, ev.ID, err)
	}
	st := auth.StateMap{create.Key(): create}
	for _, a := range authEvs {
		if a.IsState() {
			st[a.Key()] = a
		}
	}
	if err := auth.Allowed(ev, st); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBackfillAuth, ev.ID, err)
	}
	return nil
}

// refusedKey names a PDU that failed CheckPDU: its event ID when it
// parses that far, else its index in the answer.
func refusedKey(raw json.RawMessage, i int, v version.Spec) string {
	if ev, err := event.ParseWith(raw, v, backfillParse); err == nil {
		return ev.ID
	}
	return fmt.Sprintf("#%d", i)
}
