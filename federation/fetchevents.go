package federation

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// ErrFetchedEvent reports an event a remote server served that is not the
// one asked for, or not of the room.
var ErrFetchedEvent = errors.New("federation: fetched event does not match the request")

// DefaultFetchConcurrency bounds the /event requests one EventFetcher
// call keeps in flight.
const DefaultFetchConcurrency = 8

// EventFetcher fetches events of a room from a remote server and runs the
// checks that need no room state on each (CheckPDU: format, signatures,
// content hash), the fetches and checks running side by side.
type EventFetcher struct {
	Client  *Client
	Keyring *Keyring
	// Concurrency bounds the requests in flight (default
	// DefaultFetchConcurrency).
	Concurrency int
}

// Fetched is the outcome of fetching or checking a set of events: the
// events that passed CheckPDU by ID, and why each other one failed.
type Fetched struct {
	Events map[string]*event.Event
	Failed map[string]error
}

func newFetched() Fetched {
	return Fetched{Events: make(map[string]*event.Event), Failed: make(map[string]error)}
}

// FetchEvents fetches each of ids from destination with GET /event
// (server-server-api "Retrieving events") and checks it. An answer whose
// event ID (the reference hash from room version 3, the event_id field
// before) is not the one asked for, or whose room is not roomID, fails.
func (f *EventFetcher) FetchEvents(ctx context.Context, destination, roomID string, v version.Spec, ids []string) Fetched {
	out := newFetched()
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	n := f.Concurrency
	if n <= 0 {
		n = DefaultFetchConcurrency
	}
	for range min(n, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				ev, err := f.fetchOne(ctx, destination, roomID, v, id)
				mu.Lock()
				if err != nil {
					out.Failed[id] = err
				} else {
					out.Events[id] = ev
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return out
}

func (f *EventFetcher) fetchOne(ctx context.Context, destination, roomID string, v version.Spec, id string) (*event.Event, error) {
	raw, err := f.Client.GetEvent(ctx, destination, id)
	if err != nil {
		return nil, err
	}
	cp, err := CheckPDU(ctx, f.Keyring, raw, v)
	if err != nil {
		return nil, err
	}
	if cp.Event.ID != id || cp.Event.RoomID != roomID {
		return nil, fmt.Errorf("%w: asked for %s of %s, got %s of %s", ErrFetchedEvent, id, roomID, cp.Event.ID, cp.Event.RoomID)
	}
	return cp.Event, nil
}

// CheckEvents runs CheckPDU on events a remote server served in bulk
// (/state, /event_auth), on as many goroutines as there are processors.
// Events of another room fail; failures are keyed by the event's index
// ("#3") when its ID cannot be computed.
func (f *EventFetcher) CheckEvents(ctx context.Context, roomID string, v version.Spec, raws []json.RawMessage) Fetched {
	out := newFetched()
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(raws)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cp, err := CheckPDU(ctx, f.Keyring, raws[i], v)
				if err == nil && cp.Event.RoomID != roomID {
					err = fmt.Errorf("%w: event %s is of room %s", ErrFetchedEvent, cp.Event.ID, cp.Event.RoomID)
				}
				mu.Lock()
				if err != nil {
					key := fmt.Sprintf("#%d", i)
					if id, idErr := event.EventIDFor(raws[i], v); idErr == nil {
						key = id
					}
					out.Failed[key] = err
				} else {
					out.Events[cp.Event.ID] = cp.Event
				}
				mu.Unlock()
			}
		}()
	}
	for i := range raws {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// CheckAgainstAuthEvents runs check 4 of "Checks performed on receipt of
// a PDU" on ev: it must pass the authorisation rules with its auth events
// as the state. authEvents are the accepted events among those ev names
// (a rejected or unknown one is left out and counts as missing); create is
// the room's m.room.create, which room version 12 events do not cite.
func CheckAgainstAuthEvents(ev *event.Event, authEvents []*event.Event, create *event.Event) error {
	if err := auth.CheckAuthEvents(ev, authEvents); err != nil {
		return err
	}
	if ev.ID == create.ID {
		return nil
	}
	st := auth.StateMap{create.Key(): create}
	for _, a := range authEvents {
		if a.IsState() {
			st[a.Key()] = a
		}
	}
	return auth.Allowed(ev, st)
}

// AuthOrder orders events so that each comes after those of its auth
// events that are among them (a topological sort of the auth DAG, ties
// broken by depth then ID so the order is stable). Events on an auth
// cycle, which no valid room contains, are left out.
func AuthOrder(evs map[string]*event.Event) []*event.Event {
	indeg := make(map[string]int, len(evs))
	children := make(map[string][]string)
	for id, ev := range evs {
		indeg[id] += 0
		for _, a := range ev.AuthEvents {
			if _, ok := evs[a]; ok && a != id {
				indeg[id]++
				children[a] = append(children[a], id)
			}
		}
	}
	ready := &eventHeap{}
	for id, d := range indeg {
		if d == 0 {
			heap.Push(ready, evs[id])
		}
	}
	out := make([]*event.Event, 0, len(evs))
	for ready.Len() > 0 {
		ev := heap.Pop(ready).(*event.Event)
		out = append(out, ev)
		for _, c := range children[ev.ID] {
			if indeg[c]--; indeg[c] == 0 {
				heap.Push(ready, evs[c])
			}
		}
	}
	return out
}

// eventHeap pops the event of least depth (then ID) first.
type eventHeap []*event.Event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return lessEvent(h[i], h[j]) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(*event.Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	*h = old[:len(old)-1]
	return ev
}

func lessEvent(a, b *event.Event) bool {
	if a.Depth != b.Depth {
		return a.Depth < b.Depth
	}
	return a.ID < b.ID
}
