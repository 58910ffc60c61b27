package client

import (
	"errors"

	"github.com/axonhs/axon/http/client/push"
	"github.com/axonhs/axon/persistence"
)

// unread counts the events after the user's read position that notify or
// highlight under the default push rules (client-server-api "Receiving
// notifications"), looking at most at the last maxUnreadScan of them. The
// read position is the later of the user's read receipts (public or
// private) and the user's own latest event: a user has read what came
// before what they wrote (receipts module: clients "SHOULD NOT send read
// receipts for events sent by their own user").
//
// The counts of the last sync are kept per user and room (b.a.unread), so
// a sync evaluates only the events that arrived since; those are usually
// all in the window the sync already read (w), and then unread reads
// nothing of the room stream again.
func (b *syncBuilder) unread(v *roomView, w *roomWindow) (*unreadCounts, error) {
	key := unreadKey{userID: b.req.userID, roomID: v.roomID}
	c, cached := b.a.unread.get(key)
	after, err := b.readPosition(v, c, cached)
	if err != nil {
		return nil, err
	}
	from, base := after, unreadCounts{}
	if cached && c.after == after && c.upTo <= b.to.Events {
		if c.upTo == b.to.Events {
			counts := c.counts
			return &counts, nil
		}
		from, base = c.upTo, c.counts
	}
	counts, reset, err := b.countUnread(v, from, w)
	if err != nil {
		return nil, err
	}
	if !reset {
		counts.Notification += base.Notification
		counts.Highlight += base.Highlight
	}
	b.a.unread.put(key, unreadEntry{after: after, upTo: b.to.Events, joinedAt: v.member.Stream,
		receiptsAt: b.to.Receipts, counts: *counts})
	return counts, nil
}

// readPosition is the stream position after which events are unread: the
// later of the user's join and the event of their latest read receipt.
// The cached one stands while the user has not joined again and no
// receipt of theirs in the room moved since it was read (the receipts
// that moved since the token are in b.receipts).
func (b *syncBuilder) readPosition(v *roomView, c unreadEntry, cached bool) (uint64, error) {
	if cached && !b.initial && c.joinedAt == v.member.Stream && c.receiptsAt >= b.since.Receipts &&
		!b.ownReceiptMoved(v.roomID) {
		return c.after, nil
	}
	st := b.a.cfg.Store
	after := v.member.Stream // nothing before the user's join counts
	for _, typ := range []string{receiptRead, receiptReadPrivate} {
		r, err := st.ReceiptOf(v.roomID, typ, b.req.userID, "")
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		se, err := st.EventByID(r.EventID)
		if err == nil && se.RoomID == v.roomID && se.Stream > after {
			after = se.Stream
		}
	}
	return after, nil
}

// countUnread evaluates the room's events in (from, b.to.Events], newest
// first, and stops at the user's own latest event (reset: what came before
// it is read) or after maxUnreadScan events.
func (b *syncBuilder) countUnread(v *roomView, from uint64, w *roomWindow) (*unreadCounts, bool, error) {
	counts := &unreadCounts{}
	var pc *push.Context
	var ferr error
	reset := false
	visit := func(se persistence.StoredEvent) bool {
		if se.Outcome != persistence.OutcomeAccepted {
			return true
		}
		h, err := v.header(se)
		if err != nil {
			ferr = err
			return false
		}
		if h.Sender == b.req.userID {
			reset = true
			return false
		}
		if b.ignored[h.Sender] {
			return true
		}
		if pc == nil {
			if pc, ferr = b.pushContext(v); ferr != nil {
				return false
			}
			if b.rules == nil {
				b.rules = b.a.pushRules(b.req.userID)
			}
		}
		pc.SenderPowerLevel = b.powerOf(v, h.Sender)
		notify, highlight := push.EvaluateDecoded(*b.rules, decodedForPush(b.a.cfg.Store, se), *pc)
		if notify {
			counts.Notification++
		}
		if highlight {
			counts.Highlight++
		}
		return true
	}
	var err error
	if w.covers(from) {
		w.backwards(from, maxUnreadScan, visit)
	} else {
		err = b.a.cfg.Store.RoomStreamBackwards(v.roomID, from, b.to.Events, maxUnreadScan, visit)
	}
	if err == nil {
		err = ferr
	}
	return counts, reset, err
}

// covers reports whether the window read every event of the room in
// (from, its end]: it was not limited and began at or before from.
func (w *roomWindow) covers(from uint64) bool {
	return w != nil && w.read && !w.limited && w.after <= from
}

// backwards calls f with the window's events in (from, end], newest first,
// as persistence.Store.RoomStreamBackwards does with the stored stream.
func (w *roomWindow) backwards(from uint64, max int, f func(persistence.StoredEvent) bool) {
	n := 0
	for i := len(w.raw) - 1; i >= 0 && n < max; i-- {
		se := w.raw[i]
		if se.Stream <= from {
			return
		}
		n++
		if !f(se) {
			return
		}
	}
}
