package client

import (
	"encoding/json"

	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
)

// Receipt types (client-server-api module "Receipts").
const (
	receiptRead        = "m.read"
	receiptReadPrivate = "m.read.private"
	markerFullyRead    = "m.fully_read"
)

// ephemeral builds a joined room's ephemeral events: m.typing when the
// typing set changed since the token (or, when full, is not empty) and
// m.receipt with the receipts that changed (all of them when full).
// Private receipts go only to their owner.
func (b *syncBuilder) ephemeral(roomID string, full bool) (*eventList, error) {
	ef := b.req.f.Room.Ephemeral
	var events []json.RawMessage
	if ef.Match(filter.Event{RoomID: roomID, Type: "m.typing"}) {
		since := b.since.Typing
		if full {
			since = 0
		}
		users, changed := b.a.typing.typingIn(roomID, since, b.to.Typing)
		if changed && (len(users) > 0 || !full) {
			if users == nil {
				users = []string{}
			}
			events = append(events, rawOf(map[string]any{"type": "m.typing", "content": map[string]any{"user_ids": users}}))
		}
	}
	if ef.Match(filter.Event{RoomID: roomID, Type: "m.receipt"}) {
		var rs []persistence.Receipt
		if full {
			var err error
			if rs, err = b.a.cfg.Store.RoomReceipts(roomID, b.to.Receipts); err != nil {
				return nil, err
			}
		} else {
			rs = b.receipts[roomID]
		}
		if ev := b.receiptEvent(rs); ev != nil {
			events = append(events, ev)
		}
	}
	return listOf(events), nil
}

// receiptEvent formats receipts as one m.receipt event:
// {eventID: {type: {userID: {ts, thread_id?}}}}.
func (b *syncBuilder) receiptEvent(rs []persistence.Receipt) json.RawMessage {
	content := map[string]map[string]map[string]any{}
	for _, r := range rs {
		if r.Pos > b.to.Receipts || r.Type == receiptReadPrivate && r.UserID != b.req.userID {
			continue
		}
		byType := content[r.EventID]
		if byType == nil {
			byType = map[string]map[string]any{}
			content[r.EventID] = byType
		}
		byUser := byType[r.Type]
		if byUser == nil {
			byUser = map[string]any{}
			byType[r.Type] = byUser
		}
		rec := map[string]any{"ts": r.TS}
		if r.ThreadID != "" {
			rec["thread_id"] = r.ThreadID
		}
		byUser[r.UserID] = rec
	}
	if len(content) == 0 {
		return nil
	}
	return rawOf(map[string]any{"type": "m.receipt", "content": content})
}

// ownReceiptMoved reports whether the user's own receipt in the room moved
// since the token, which changes the room's unread counts.
func (b *syncBuilder) ownReceiptMoved(roomID string) bool {
	for _, r := range b.receipts[roomID] {
		if r.UserID == b.req.userID && r.Pos <= b.to.Receipts {
			return true
		}
	}
	return false
}
