package client

import (
	"testing"

	"github.com/axonhs/axon/persistence"
)

// A backwards page reaches a backward extremity when the extremity is at
// or below the page's start and the page went past it (it holds events
// below it, or found nothing more), and not below a stop position.
func TestBackfillReachedExtremity(t *testing.T) {
	at := func(d int64) persistence.Topo { return persistence.Topo{Depth: d, Stream: uint64(d)} }
	stop := at(3)
	cases := []struct {
		name       string
		x, from    persistence.Topo
		stop       *persistence.Topo
		next       persistence.Topo
		more, want bool
	}{
		{"inside a full page", at(10), at(20), nil, at(5), true, true},
		{"last event of a full page: the next page", at(10), at(20), nil, at(10), true, false},
		{"the previous page ended with it", at(10), at(10), nil, at(10), false, true},
		{"short page above it", at(10), at(20), nil, at(12), false, true},
		{"above the page", at(30), at(20), nil, at(5), true, false},
		{"below a full page", at(4), at(20), nil, at(5), true, false},
		{"below the stop", at(2), at(20), &stop, at(3), false, false},
		{"above the stop", at(4), at(20), &stop, at(3), false, true},
	}
	for _, c := range cases {
		p := timelinePage{next: c.next, more: c.more}
		if got := reached(c.x, c.from, c.stop, p); got != c.want {
			t.Errorf("%s: reached %v, want %v", c.name, got, c.want)
		}
	}
}

// A page that reached history no server could give keeps an end token
// when it holds events (more exists), continuing after its last event; an
// empty one omits it, so that a client paging back stops; a full page
// keeps its own.
func TestBackfillStalledPage(t *testing.T) {
	at := func(d int64) persistence.Topo { return persistence.Topo{Depth: d, Stream: uint64(d)} }
	ev := func(d int64) persistence.StoredEvent { return persistence.StoredEvent{Depth: d, Stream: uint64(d)} }
	cases := []struct {
		name     string
		in       timelinePage
		more     bool
		wantNext persistence.Topo
	}{
		{"short page with events", timelinePage{events: []persistence.StoredEvent{ev(9), ev(7)}, next: at(0)}, true, at(7)},
		{"empty page", timelinePage{next: at(7)}, false, at(7)},
		{"full page", timelinePage{events: []persistence.StoredEvent{ev(9), ev(7)}, next: at(7), more: true}, true, at(7)},
	}
	for _, c := range cases {
		got := stalledPage(c.in)
		if got.more != c.more || got.next != c.wantNext || len(got.events) != len(c.in.events) {
			t.Errorf("%s: more %v next %+v, want more %v next %+v", c.name, got.more, got.next, c.more, c.wantNext)
		}
	}
}
