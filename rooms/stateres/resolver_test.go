package stateres

import (
	"errors"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// countingEvents counts fetches per event.
type countingEvents struct {
	EventMap
	fetched map[string]int
}

func (c *countingEvents) Event(id string) (*event.Event, error) {
	c.fetched[id]++
	return c.EventMap.Event(id)
}

// TestResolverReuse resolves several forks of one room with one Resolver:
// every answer must equal a fresh resolution's, and no event may be fetched
// twice.
func TestResolverReuse(t *testing.T) {
	for _, vid := range []version.ID{"1", "11", "12"} {
		k := newKit(t, vid)
		base := k.baseRoom()
		k.power("$PA", "@alice:a", `{"users":{"@alice:a":100,"@bob:b":50}}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		k.member("$MB", "@alice:a", "@bob:b", "ban", ids(createID, "$IMA", "$PA", "$IMB"), "$PA")
		k.power("$PB", "@bob:b", `{"users":{"@alice:a":100,"@bob:b":50,"@zara:z":50}}`, ids(createID, "$IMB", "$PA"), "$PA")
		k.topic("$TZ", "@zara:z", "z", ids(createID, "$IMZ", "$PB"), "$PB")
		k.topic("$TA", "@alice:a", "a", ids(createID, "$IMA", "$PA"), "$MB")
		forks := [][]StateMap{
			{k.with(base, "$PA", "$MB"), k.with(base, "$PB")},
			{k.with(base, "$PB", "$TZ"), k.with(base, "$PA", "$MB", "$TA")},
			{k.with(base, "$PA"), k.with(base, "$PB", "$TZ"), k.with(base, "$PA", "$TA")},
			{k.with(base, "$PA", "$MB"), k.with(base, "$PB")},
		}
		src := &countingEvents{EventMap: k.events, fetched: map[string]int{}}
		r := NewResolver(k.v, src)
		for i, sets := range forks {
			got, err := r.Resolve(sets)
			if err != nil {
				t.Fatalf("v%s fork %d: %v", vid, i, err)
			}
			want, err := Resolve(k.v, sets, k.events)
			if err != nil {
				t.Fatalf("v%s fork %d, fresh: %v", vid, i, err)
			}
			if !sameState(got, want) {
				t.Errorf("v%s fork %d: reused Resolver gives %v, a fresh one %v", vid, i, got, want)
			}
		}
		for id, n := range src.fetched {
			if n > 1 {
				t.Errorf("v%s: %s fetched %d times", vid, id, n)
			}
		}
	}
}

// TestResolverCycleDoesNotPoison checks that a cycle seen by one resolution
// fails that resolution only: a later one whose auth chains avoid it works.
func TestResolverCycleDoesNotPoison(t *testing.T) {
	k := newKit(t, "11")
	base := k.baseRoom()
	k.topic("$T1", "@alice:a", "1", ids(createID, "$IMA", "$IPOWER", "$T2"), "$IMZ")
	k.topic("$T2", "@alice:a", "2", ids(createID, "$IMA", "$IPOWER", "$T1"), "$IMZ")
	k.topic("$T3", "@alice:a", "3", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	k.topic("$T4", "@alice:a", "4", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	r := NewResolver(k.v, k.events)
	if _, err := r.Resolve([]StateMap{k.with(base, "$T1"), k.with(base, "$T3")}); !errors.Is(err, ErrCycle) {
		t.Fatalf("error = %v, want ErrCycle", err)
	}
	got, err := r.Resolve([]StateMap{k.with(base, "$T4"), k.with(base, "$T3")})
	if err != nil {
		t.Fatalf("resolution away from the cycle: %v", err)
	}
	if got[event.StateKey{Type: event.TypeTopic}] != "$T4" {
		t.Errorf("topic = %s, want $T4 (later timestamp)", got[event.StateKey{Type: event.TypeTopic}])
	}
}

// TestResolverRetriesMissingEvents checks that an event missing in one call
// is fetched again in the next.
func TestResolverRetriesMissingEvents(t *testing.T) {
	k := newKit(t, "12")
	base := k.baseRoom()
	k.topic("$T1", "@alice:a", "1", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	k.topic("$T2", "@alice:a", "2", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	sets := []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
	src := EventMap{}
	for id, ev := range k.events {
		if id != "$IJR" {
			src[id] = ev
		}
	}
	r := NewResolver(k.v, src)
	if _, err := r.Resolve(sets); !errors.Is(err, ErrMissingEvent) {
		t.Fatalf("error = %v, want ErrMissingEvent", err)
	}
	src.Add(k.events["$IJR"])
	got, err := r.Resolve(sets)
	if err != nil {
		t.Fatalf("after the event arrived: %v", err)
	}
	if got[event.StateKey{Type: event.TypeTopic}] != "$T2" {
		t.Errorf("topic = %s, want $T2", got[event.StateKey{Type: event.TypeTopic}])
	}
}
