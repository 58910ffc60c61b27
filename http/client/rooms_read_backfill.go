package client

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/room"
)

// Bounds of the backfill one backwards /messages request may start
// (server-server-api "Backfilling and retrieving missing events": the
// history of a room joined over federation is fetched when a client pages
// back to where this server's copy starts).
const (
	// backfillBudget bounds the time one request spends fetching history.
	backfillBudget = 10 * time.Second
	// maxBackfillRounds bounds the /backfill requests one page starts.
	maxBackfillRounds = 4
	// minBackfillFetch is the fewest events asked for at a time: pages
	// with small limits still move the extremity back in useful steps.
	minBackfillFetch = 50
)

// backfillPage fills a backwards page that reached a backward extremity
// of the room (an event whose prev_events this server lacks) with the
// history before it, fetched from the other servers in the room, when the
// user may see history there: the fetched events are placed before the
// events they precede, and the page is read again so that it holds them,
// in order, with an end token after them. Fetch failures are logged and
// the page is served as it is.
func (a *API) backfillPage(ctx context.Context, v *roomView, from persistence.Topo, stop *persistence.Topo, limit int, f *eventFilter, p timelinePage) (timelinePage, error) {
	bf := a.cfg.Rooms.Backfiller()
	if bf == nil {
		return p, nil
	}
	st, err := v.store.BackfillState(v.roomID)
	if err != nil {
		return p, err
	}
	if st.Initialised {
		xs, err := v.store.BackwardExtremities(v.roomID)
		if err != nil || len(xs) == 0 {
			return p, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, backfillBudget)
	defer cancel()
	for range maxBackfillRounds {
		xs, err := bf.Extremities(ctx, v.roomID)
		if err != nil {
			a.log.Warn("backfill: reading backward extremities", zap.String("room_id", v.roomID), zap.Error(err))
			return p, nil
		}
		want, err := v.reachedReadable(xs, from, stop, p)
		if err != nil || !want {
			return p, err
		}
		placed, err := bf.Backfill(ctx, v.roomID, max(limit, minBackfillFetch))
		if err != nil {
			a.log.Info("backfill failed", zap.String("room_id", v.roomID), zap.Error(err))
		}
		if placed == 0 {
			return stalledPage(p), nil
		}
		if p, err = v.walk(from, stop, true, limit, f); err != nil {
			return p, err
		}
	}
	return p, nil
}

// stalledPage is a backwards page that reached history the user may read
// but that no server gave now. Further events exist, so the page keeps an
// end token ("If no further events are available [...] this property is
// omitted", message_pagination.yaml) when it holds events: the token
// continues after its last event, and the client asking with it comes
// back for the history. An empty page omits it: a client pages "until no
// end property is returned", and an end token on an empty page while no
// server can give the history would have it loop for as long as that
// lasts. A full page already has its token.
func stalledPage(p timelinePage) timelinePage {
	if p.more || len(p.events) == 0 {
		return p
	}
	p.more, p.next = true, afterEvent(p.events[len(p.events)-1].Topo(), true)
	return p
}

// reachedReadable reports whether the page reached a backward extremity
// before which the user may see history. A page reaches an extremity at
// t when t is at or below from (t = from: the previous page ended with
// it) and the page went past it: it holds events below t, or it ended
// short, having found nothing more below.
func (v *roomView) reachedReadable(xs []persistence.BackwardExtremity, from persistence.Topo, stop *persistence.Topo, p timelinePage) (bool, error) {
	for _, x := range xs {
		if !reached(x.Topo(), from, stop, p) {
			continue
		}
		se, err := v.store.EventByID(x.EventID)
		if err != nil {
			return false, err
		}
		ok, err := v.mayReadBefore(se)
		if err != nil || ok {
			return ok, err
		}
		if ok, err = v.visibilitySetBelow(se); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// reached reports whether a backwards page from `from` (to stop, when
// set) that ended as p went past position t: see reachedReadable.
func reached(t, from persistence.Topo, stop *persistence.Topo, p timelinePage) bool {
	if topoLess(from, t) || (stop != nil && topoLess(t, *stop)) {
		return false // above the page, or below where it was asked to stop
	}
	return !p.more || topoLess(p.next, t)
}

// mayReadBefore reports whether the user may see an event just before se:
// history visibility and the user's membership as of the state before se
// (client-server-api "History visibility"), and for "shared" a join of
// the user at se or later.
func (v *roomView) mayReadBefore(se persistence.StoredEvent) (bool, error) {
	if se.RoomID != v.roomID {
		return false, nil
	}
	g, err := v.group(se.StateBefore)
	if err != nil {
		return false, err
	}
	sight := room.Sight{Visibility: g.visibility, Membership: g.membership}
	if v.forgotten {
		sight.Membership = event.MembershipLeave
	}
	if room.CanSee(sight) {
		return true, nil
	}
	if visibilityOrShared(g.visibility) != room.VisibilityShared || v.forgotten {
		return false, nil
	}
	t := se.Topo()
	if t.Stream > 0 {
		t.Stream-- // just before se: a join at se counts
	}
	if sight.JoinedSince, err = v.joinedAfter(t); err != nil {
		return false, err
	}
	return room.CanSee(sight), nil
}

// visibilitySetBelow reports whether the history_visibility that hides
// the history just before se was set by an event this server has not
// placed in the timeline yet: the history before that event was governed
// by an earlier setting (client-server-api "History visibility" applies
// the setting in the state at each event), which may let the user see
// it, so the stretch it hides is fetched to reach it.
func (v *roomView) visibilitySetBelow(se persistence.StoredEvent) (bool, error) {
	if se.RoomID != v.roomID || v.forgotten {
		return false, nil
	}
	g, err := v.group(se.StateBefore)
	if err != nil {
		return false, err
	}
	nid, ok := g.state[event.StateKey{Type: event.TypeHistoryVisibility}]
	if !ok {
		return false, nil
	}
	hv, err := v.store.EventByNID(nid)
	if err != nil {
		return false, err
	}
	if hv.Outlier {
		return true, nil
	}
	in, err := v.store.InTimeline(hv)
	return !in, err
}
