package client

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// roomWindow is what one room contributes to a sync: the timeline window
// and the state that goes with it.
type roomWindow struct {
	timeline   *syncTimeline
	state      []json.RawMessage
	events     []persistence.StoredEvent // the timeline, as stored
	stateAfter bool                      // state is state_after (use_state_after)
	stateRaw   []persistence.StoredEvent // state, as stored
	// raw is every event of the room in (after, end] the window read,
	// before visibility and filters, oldest first; limited when older
	// ones in that range were left out. read is false for a window that
	// read nothing (after at or past its end).
	raw     []persistence.StoredEvent
	after   uint64
	limited bool
	read    bool
}

// timelineLimit is the filter's timeline limit, or the default.
func (b *syncBuilder) timelineLimit() int {
	return min(b.req.f.Room.Timeline.LimitOr(defaultTimelineLimit), maxTimelineLimit)
}

// window reads a room's timeline in (after, upTo] (the last limit events
// the user may see) and its state (client-server-api "Syncing"): with full
// set, the whole state at the start of the timeline; otherwise the state
// that changed since the token and is not in the timeline (a gap when the
// timeline is limited). With use_state_after the state is the one at the
// end of the timeline instead (spec v1.16 "state_after").
func (b *syncBuilder) window(v *roomView, after, upTo uint64, full bool) (*roomWindow, error) {
	limit := b.timelineLimit()
	raw, limited, err := b.a.cfg.Store.RoomStreamTail(v.roomID, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	w := &roomWindow{stateAfter: b.req.useStateAfter, raw: raw, after: after, limited: limited, read: limit > 0}
	tf := eventFilter{RoomEventFilter: b.req.f.Room.Timeline}
	for _, se := range raw {
		ok, err := v.canSee(se)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		if b.ignored[h.Sender] && h.StateKey == nil || !tf.matches(v.roomID, h) {
			continue
		}
		w.events = append(w.events, se)
	}
	if !full && len(w.events) == 0 {
		return w, nil
	}
	served, err := v.serveEvents(w.events, b.now)
	if err != nil {
		return nil, err
	}
	w.timeline = &syncTimeline{Events: served, Limited: limited}
	switch {
	case len(raw) > 0:
		w.timeline.PrevBatch = topoToken(raw[0].Topo())
	default:
		end, err := b.a.cfg.Store.RoomEnd(v.roomID)
		if err != nil {
			return nil, err
		}
		w.timeline.PrevBatch = topoToken(end.After())
	}
	// Without a gap every state change since the token is in the timeline;
	// a lazily loading client still needs the member events of the
	// timeline's senders that it was not sent before.
	membersOnly := !full && !limited && !b.req.useStateAfter
	if membersOnly && !b.req.f.Room.State.LazyLoadMembers {
		return w, nil
	}
	group := v.info.StateGroup
	switch {
	case b.req.useStateAfter && len(raw) > 0:
		group = raw[len(raw)-1].StateAfter
	case len(raw) > 0:
		group = raw[0].StateBefore
	}
	g, err := v.group(group)
	if err != nil {
		return nil, err
	}
	states, err := b.stateEvents(v, g.state, after, full, membersOnly, w.events)
	if err != nil {
		return nil, err
	}
	if err := b.recordMembers(v, states, w.events); err != nil {
		return nil, err
	}
	w.stateRaw = states
	if w.state, err = b.serveState(v, states); err != nil {
		return nil, err
	}
	return w, nil
}

// stateEvents picks the state events to send from st: all of them when
// full, else those that changed after the token; then the state filter
// and lazy loading of members (client-server-api "Lazy-loading room
// members": only the members who sent the timeline's events; on an
// incremental sync without include_redundant_members, less the member
// events the device already has, sync_lazy.go). membersOnly keeps only
// those member events: the sync has no gap, so any other state change is
// in the timeline.
func (b *syncBuilder) stateEvents(v *roomView, st persistence.StateMap, after uint64, full, membersOnly bool, timeline []persistence.StoredEvent) ([]persistence.StoredEvent, error) {
	sf := b.req.f.Room.State
	lazy := sf.LazyLoadMembers
	var senders map[string]bool
	if lazy {
		senders = map[string]bool{}
		for _, se := range timeline {
			h, err := v.header(se)
			if err != nil {
				return nil, err
			}
			senders[h.Sender] = true
		}
	}
	inTimeline := map[uint64]bool{}
	for _, se := range timeline {
		inTimeline[se.NID] = true
	}
	var keys []event.StateKey
	if membersOnly {
		// Only the senders' member events: look them up rather than
		// walk the whole state of a large room on every sync.
		for u := range senders {
			k := event.StateKey{Type: event.TypeMember, StateKey: u}
			if _, ok := st[k]; ok {
				keys = append(keys, k)
			}
		}
	} else {
		keys = make([]event.StateKey, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y event.StateKey) int {
		if x.Type != y.Type {
			return compareStrings(x.Type, y.Type)
		}
		return compareStrings(x.StateKey, y.StateKey)
	})
	var out []persistence.StoredEvent
	for _, k := range keys {
		nid := st[k]
		isMember := k.Type == event.TypeMember
		if lazy && isMember && !senders[k.StateKey] || membersOnly && !isMember {
			continue
		}
		if !b.req.useStateAfter && inTimeline[nid] {
			continue
		}
		se, err := b.event(nid)
		if err != nil {
			return nil, err
		}
		changed := se.Stream > after
		if !full && !changed && !(lazy && isMember) {
			continue
		}
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		if !sf.Match(filter.Event{RoomID: v.roomID, Sender: h.Sender, Type: h.Type}) {
			continue
		}
		if lazy && isMember && !full && b.memberSent(v.roomID, k.StateKey, nid) {
			continue
		}
		out = append(out, se)
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// joinedRoom builds the sync of a room the user is joined to, or nil when
// nothing of it changed since the token.
func (b *syncBuilder) joinedRoom(m persistence.UserMembership) (*joinedRoom, error) {
	if m.Stream > b.to.Events {
		return nil, nil // the join is not visible yet; the next sync has it
	}
	newlyJoined := !b.initial && m.Stream > b.since.Events
	full := b.initial || b.req.fullState || newlyJoined
	if !full {
		quiet, err := b.quiet(m.RoomID)
		if err != nil || quiet {
			return nil, err
		}
	}
	v, err := b.a.openRoomView(m.RoomID, b.req.userID)
	if errors.Is(err, errRoomHidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	after := b.since.Events
	if newlyJoined {
		after = 0
	}
	w, err := b.window(v, after, b.to.Events, full)
	if err != nil {
		return nil, err
	}
	jr := &joinedRoom{Timeline: w.timeline}
	if w.stateAfter {
		jr.StateAfter = listOf(w.state)
		if jr.StateAfter == nil && w.timeline != nil {
			jr.StateAfter = &eventList{Events: []json.RawMessage{}}
		}
	} else {
		jr.State = listOf(w.state)
	}
	if err := b.noteMembers(v, w.events, newlyJoined); err != nil {
		return nil, err
	}
	if jr.Ephemeral, err = b.ephemeral(v.roomID, full); err != nil {
		return nil, err
	}
	jr.AccountData = listOf(b.roomAccountData[v.roomID])
	if jr.Timeline == nil && jr.Ephemeral == nil && jr.AccountData == nil && !b.ownReceiptMoved(v.roomID) {
		return nil, nil
	}
	if full || b.membersChanged(v, w.events) {
		if jr.Summary, err = b.summary(v); err != nil {
			return nil, err
		}
		if err := b.addHeroMembers(v, w, jr, full); err != nil {
			return nil, err
		}
	}
	if jr.Unread, err = b.unread(v, w); err != nil {
		return nil, err
	}
	return jr, nil
}

// quiet reports whether an incremental sync has nothing for a joined room:
// no event in (since, to], no room account data, no receipt or typing
// change. Such a room is left out of the response (client-server-api
// "Syncing": an incremental sync returns what changed since the token), so
// it is skipped before anything of it is read and an incremental sync costs
// the rooms that moved, not every room the user is in.
func (b *syncBuilder) quiet(roomID string) (bool, error) {
	if b.moved != nil {
		if b.moved[roomID] {
			return false, nil
		}
	} else {
		moved, err := b.a.cfg.Store.RoomChangedSince(roomID, b.since.Events, b.to.Events)
		if err != nil || moved {
			return false, err
		}
	}
	if b.roomAccountData[roomID] != nil || b.ownReceiptMoved(roomID) {
		return false, nil
	}
	eph, err := b.ephemeral(roomID, false) // typing and b.receipts: no reads
	return eph == nil, err
}

// minRoomsForMoved is the number of joined rooms from which an incremental
// sync reads the rooms that moved from the global stream at once, when
// fewer events than a quarter of its rooms came since the token, instead
// of one seek of each room's stream.
const minRoomsForMoved = 16

// readMoved fills b.moved for quiet when that is the cheaper way.
func (b *syncBuilder) readMoved(joined int) error {
	if b.initial || joined < minRoomsForMoved {
		return nil
	}
	moved, complete, err := b.a.cfg.Store.RoomsMovedSince(b.since.Events, b.to.Events, joined/4)
	if err != nil || !complete {
		return err
	}
	b.moved = moved
	return nil
}

// leftRoom builds the sync of a room the user left (or was removed from)
// after the token: the timeline up to the leave event.
func (b *syncBuilder) leftRoom(m persistence.UserMembership) (*leftRoom, error) {
	v, err := b.a.openRoomView(m.RoomID, b.req.userID)
	if errors.Is(err, errRoomHidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	w, err := b.window(v, b.since.Events, m.Stream, b.initial || b.req.fullState)
	if err != nil {
		return nil, err
	}
	lr := &leftRoom{Timeline: w.timeline, AccountData: listOf(b.roomAccountData[v.roomID])}
	if w.stateAfter {
		lr.StateAfter = listOf(w.state)
	} else {
		lr.State = listOf(w.state)
	}
	if lr.Timeline == nil {
		lr.Timeline = &syncTimeline{Events: []json.RawMessage{}}
	}
	// Everyone the user stops sharing a room with leaves their device list.
	members, err := b.a.cfg.Store.CurrentStateOfType(v.roomID, event.TypeMember)
	if err != nil {
		return nil, err
	}
	for k := range members {
		if k.StateKey != b.req.userID {
			b.left[k.StateKey] = true
		}
	}
	return lr, nil
}

// strippedTypes are the state events an invited or knocking user sees
// (client-server-api "Stripped state": the spec recommends these).
var strippedTypes = []string{"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar",
	"m.room.canonical_alias", "m.room.encryption", "m.room.topic"}

// strippedRoom builds an invited or knocked room: stripped state plus the
// user's own membership event.
func (b *syncBuilder) strippedRoom(m persistence.UserMembership) (*strippedRoom, error) {
	st := b.a.cfg.Store
	var events []json.RawMessage
	strip := func(se persistence.StoredEvent) error {
		h, err := decodeEventHeader(se.Raw)
		if err != nil {
			return err
		}
		sk := ""
		if h.StateKey != nil {
			sk = *h.StateKey
		}
		events = append(events, rawOf(map[string]any{"type": h.Type, "state_key": sk, "content": h.Content, "sender": h.Sender}))
		return nil
	}
	for _, typ := range strippedTypes {
		se, err := st.CurrentStateEvent(m.RoomID, typ, "")
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := strip(se); err != nil {
			return nil, err
		}
	}
	own, err := st.EventByNID(m.EventNID)
	if err != nil {
		return nil, err
	}
	if err := strip(own); err != nil {
		return nil, err
	}
	if m.Membership == event.MembershipKnock {
		return &strippedRoom{KnockState: &eventList{Events: events}}, nil
	}
	return &strippedRoom{InviteState: &eventList{Events: events}}, nil
}

// noteMembers feeds device_lists from membership changes: the members of a
// newly joined room, and members who join or leave a room in the timeline.
func (b *syncBuilder) noteMembers(v *roomView, timeline []persistence.StoredEvent, newlyJoined bool) error {
	if b.initial {
		return nil
	}
	if newlyJoined {
		members, err := b.a.cfg.Store.CurrentStateOfType(v.roomID, event.TypeMember)
		if err != nil {
			return err
		}
		for k := range members {
			if k.StateKey != b.req.userID {
				b.changed[k.StateKey] = true
			}
		}
		return nil
	}
	for _, se := range timeline {
		h, err := v.header(se)
		if err != nil {
			return err
		}
		if h.Type != event.TypeMember || h.StateKey == nil || *h.StateKey == b.req.userID {
			continue
		}
		switch contentMembership(h.Content) {
		case event.MembershipJoin:
			b.changed[*h.StateKey] = true
		case event.MembershipLeave, event.MembershipBan:
			b.left[*h.StateKey] = true
		}
	}
	return nil
}

// membersChanged reports whether the timeline changes membership, which
// changes the room summary.
func (b *syncBuilder) membersChanged(v *roomView, timeline []persistence.StoredEvent) bool {
	for _, se := range timeline {
		if h, err := v.header(se); err == nil && h.Type == event.TypeMember {
			return true
		}
	}
	return false
}

// serveState formats state events without looking up the events they
// replaced: prev_content is optional (ClientEvent's unsigned), and reading
// each predecessor doubled the reads of an initial sync.
func (b *syncBuilder) serveState(v *roomView, states []persistence.StoredEvent) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(states))
	for _, se := range states {
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		ce, err := formatClientEvent(se, h, b.now, nil, eventHeader{})
		if err != nil {
			return nil, err
		}
		out = append(out, ce)
	}
	return out, nil
}
