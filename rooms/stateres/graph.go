package stateres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// graph is the auth DAG of the events one resolution touches. Events are
// numbered in the order they are first seen and every algorithm works on
// those numbers (int32) rather than on event ID strings: set membership is a
// bitset or a []bool, edges are []int32.
type graph struct {
	v      version.Spec
	src    Events
	rej    Rejections // nil when the source does not track rejections
	roomID string
	// createID is the v12 create event's ID derived from roomID, once known.
	createID string

	index    map[string]int32
	evs      []*event.Event
	auth     [][]int32 // auth edges, deduplicated; set once expanded
	expanded []bool
	pl       []int32 // the m.room.power_levels event among the auth events, or -1
}

func newGraph(v version.Spec, src Events) *graph {
	return newGraphSized(v, src, 0)
}

// newGraphSized is newGraph with room for about n events.
func newGraphSized(v version.Spec, src Events, n int) *graph {
	g := &graph{
		v: v, src: src,
		index:    make(map[string]int32, n),
		evs:      make([]*event.Event, 0, n),
		auth:     make([][]int32, 0, n),
		expanded: make([]bool, 0, n),
		pl:       make([]int32, 0, n),
	}
	g.rej, _ = src.(Rejections)
	return g
}

func (g *graph) len() int { return len(g.evs) }

// node returns the number of event id, fetching the event on first sight.
// It checks that the event belongs to the room and room version being
// resolved; its auth events are not fetched (see expand).
func (g *graph) node(id string) (int32, error) {
	if n, ok := g.index[id]; ok {
		return n, nil
	}
	ev, err := g.src.Event(id)
	if err != nil {
		if errors.Is(err, ErrMissingEvent) {
			return -1, err
		}
		return -1, fmt.Errorf("%w: %s: %w", ErrMissingEvent, id, err)
	}
	if ev == nil {
		return -1, fmt.Errorf("%w: %s", ErrMissingEvent, id)
	}
	if ev.ID != id {
		return -1, fmt.Errorf("%w: asked for event %s, got %s", ErrBadInput, id, ev.ID)
	}
	if ev.Version.ID != g.v.ID {
		return -1, fmt.Errorf("%w: event %s is of room version %q, resolving %q",
			ErrBadInput, id, ev.Version.ID, g.v.ID)
	}
	// A v12 create event carries no room_id: its ID is the room ID.
	if ev.RoomID != "" || ev.Type != event.TypeCreate {
		if g.roomID == "" {
			g.roomID = ev.RoomID
		} else if ev.RoomID != g.roomID {
			return -1, fmt.Errorf("%w: event %s is in room %s, resolving %s",
				ErrBadInput, id, ev.RoomID, g.roomID)
		}
	}
	n := int32(len(g.evs))
	g.index[id] = n
	g.evs = append(g.evs, ev)
	g.auth = append(g.auth, nil)
	g.expanded = append(g.expanded, false)
	g.pl = append(g.pl, -1)
	return n, nil
}

// implicitCreate returns the create event ev cites without listing it, or
// "". In room version 12 the create event is never listed but always
// implied: "the room_id (being the m.room.create event's ID) implies this
// instead" (v12.md, authorisation rules, rule 2).
func (g *graph) implicitCreate(ev *event.Event) (string, error) {
	if !g.v.RoomIDFromCreateEvent || ev.Type == event.TypeCreate {
		return "", nil
	}
	if g.createID == "" {
		id, err := createEventID(ev.RoomID)
		if err != nil {
			return "", err
		}
		g.createID = id
	}
	return g.createID, nil
}

// createEventID is the ID of a v12 room's create event: the room ID with
// the sigil "$" instead of "!" (v12.md, authorisation rules, rule 1.2).
func createEventID(roomID string) (string, error) {
	if !strings.HasPrefix(roomID, "!") || len(roomID) < 2 {
		return "", fmt.Errorf("%w: room ID %q does not name a create event", ErrBadInput, roomID)
	}
	return "$" + roomID[1:], nil
}

// expandOne fetches the auth events of node n and records its edges.
func (g *graph) expandOne(n int32) error {
	if g.expanded[n] {
		return nil
	}
	ev := g.evs[n]
	create, err := g.implicitCreate(ev)
	if err != nil {
		return err
	}
	edges := make([]int32, 0, len(ev.AuthEvents)+1)
	pl := int32(-1)
	add := func(id string) error {
		a, err := g.node(id)
		if err != nil {
			return fmt.Errorf("auth event of %s: %w", ev.ID, err)
		}
		if containsNode(edges, a) {
			return nil
		}
		edges = append(edges, a)
		if pl < 0 && isSlot(g.evs[a], event.TypePowerLevels) {
			pl = a
		}
		return nil
	}
	if create != "" {
		if err := add(create); err != nil {
			return err
		}
	}
	for _, id := range ev.AuthEvents {
		if err := add(id); err != nil {
			return err
		}
	}
	g.auth[n], g.pl[n], g.expanded[n] = edges, pl, true
	return nil
}

// expand fetches the whole auth chains of the given nodes.
func (g *graph) expand(roots []int32) error {
	stack := append([]int32(nil), roots...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g.expanded[n] {
			continue
		}
		if err := g.expandOne(n); err != nil {
			return err
		}
		for _, a := range g.auth[n] {
			if !g.expanded[a] {
				stack = append(stack, a)
			}
		}
	}
	return nil
}

// checkAcyclic fails with ErrCycle if the part of the graph reachable from
// roots has a cycle, so that the walks that follow may assume a DAG. It
// runs Kahn's algorithm over that part; roots must have been expanded.
func (g *graph) checkAcyclic(roots ...[]int32) error {
	scope := newBitset(g.len())
	for _, r := range roots {
		g.reach(r, scope)
	}
	indeg := make([]int32, g.len())
	var queue []int32
	scope.each(func(n int32) {
		for _, a := range g.auth[n] {
			indeg[a]++
		}
	})
	scope.each(func(n int32) {
		if indeg[n] == 0 {
			queue = append(queue, n)
		}
	})
	seen := 0
	for len(queue) > 0 {
		x := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		seen++
		for _, a := range g.auth[x] {
			if indeg[a]--; indeg[a] == 0 {
				queue = append(queue, a)
			}
		}
	}
	if total := scope.count(); seen != total {
		return fmt.Errorf("%w: %d events on or behind a cycle", ErrCycle, total-seen)
	}
	return nil
}

// rejected reports whether the source marked node n as rejected.
func (g *graph) rejected(n int32) bool {
	return g.rej != nil && g.rej.Rejected(g.evs[n].ID)
}

func containsNode(s []int32, n int32) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// isSlot reports whether ev is the state event of slot (typ, "").
func isSlot(ev *event.Event, typ string) bool {
	return ev.Type == typ && ev.StateKey != nil && *ev.StateKey == ""
}
