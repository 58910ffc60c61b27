package server

import (
	"encoding/json"

	"github.com/axonhs/axon/federation"
)

// EDU is an ephemeral message for one destination. Key, when not empty,
// makes a newer EDU with the same key replace a queued one (the latest
// typing state of a user in a room, the latest receipt of a user in a
// room, the latest presence of a user); use the constructors.
type EDU struct {
	federation.EDU
	Key string
}

// TypingEDU is an m.typing EDU (server-server-api "Typing Notifications").
func TypingEDU(roomID, userID string, typing bool) EDU {
	c, _ := json.Marshal(map[string]any{"room_id": roomID, "user_id": userID, "typing": typing})
	return EDU{EDU: federation.EDU{Type: "m.typing", Content: c}, Key: "t\x00" + roomID + "\x00" + userID}
}

// ReceiptEDU is an m.receipt EDU for one user's receipt in one room
// (server-server-api "Receipts").
func ReceiptEDU(roomID, receiptType, userID string, eventIDs []string, data json.RawMessage) EDU {
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	c, _ := json.Marshal(map[string]any{roomID: map[string]any{receiptType: map[string]any{
		userID: map[string]any{"event_ids": eventIDs, "data": data}}}})
	return EDU{EDU: federation.EDU{Type: "m.receipt", Content: c}, Key: "r\x00" + roomID + "\x00" + receiptType + "\x00" + userID}
}

// PresenceEDU is an m.presence EDU with one user's update
// (server-server-api "Presence"). update is the user_presence_update
// object.
func PresenceEDU(userID string, update json.RawMessage) EDU {
	c, _ := json.Marshal(map[string]any{"push": []json.RawMessage{update}})
	return EDU{EDU: federation.EDU{Type: "m.presence", Content: c}, Key: "p\x00" + userID}
}

// eduQueue holds a destination's EDUs in arrival order, one per key, at
// most limit of them: a full queue drops its oldest EDU (EDUs are shed
// before PDUs, which are never dropped).
type eduQueue struct {
	limit int
	seq   uint64
	items map[uint64]EDU
	order []uint64          // sequence numbers, oldest first; stale ones skipped
	byKey map[string]uint64 // coalescing key → sequence number
	shed  int64
}

func newEDUQueue(limit int) *eduQueue {
	return &eduQueue{limit: limit, items: make(map[uint64]EDU), byKey: make(map[string]uint64)}
}

func (q *eduQueue) len() int { return len(q.items) }

// push adds e, replacing a queued EDU with the same key; it reports how
// many EDUs were shed to make room.
func (q *eduQueue) push(e EDU) {
	if e.Key != "" {
		if old, ok := q.byKey[e.Key]; ok {
			delete(q.items, old)
		}
	}
	for len(q.items) >= q.limit {
		q.dropOldest()
	}
	q.seq++
	q.items[q.seq] = e
	q.order = append(q.order, q.seq)
	if e.Key != "" {
		q.byKey[e.Key] = q.seq
	}
	q.compact()
}

func (q *eduQueue) dropOldest() {
	for len(q.order) > 0 {
		s := q.order[0]
		q.order = q.order[1:]
		if e, ok := q.items[s]; ok {
			delete(q.items, s)
			if e.Key != "" && q.byKey[e.Key] == s {
				delete(q.byKey, e.Key)
			}
			q.shed++
			return
		}
	}
}

// take removes and returns up to n EDUs, oldest first.
func (q *eduQueue) take(n int) []federation.EDU {
	var out []federation.EDU
	for len(out) < n && len(q.order) > 0 {
		s := q.order[0]
		q.order = q.order[1:]
		e, ok := q.items[s]
		if !ok {
			continue
		}
		delete(q.items, s)
		if e.Key != "" && q.byKey[e.Key] == s {
			delete(q.byKey, e.Key)
		}
		out = append(out, e.EDU)
	}
	q.compact()
	return out
}

// dropTransient sheds the EDUs that are worthless late (typing), used
// while the destination is failing.
func (q *eduQueue) dropTransient() {
	for s, e := range q.items {
		if e.Type == "m.typing" {
			delete(q.items, s)
			if q.byKey[e.Key] == s {
				delete(q.byKey, e.Key)
			}
			q.shed++
		}
	}
	q.compact()
}

// compact drops stale sequence numbers once they outnumber live ones.
func (q *eduQueue) compact() {
	if len(q.order) <= 2*len(q.items)+16 {
		return
	}
	live := q.order[:0]
	for _, s := range q.order {
		if _, ok := q.items[s]; ok {
			live = append(live, s)
		}
	}
	q.order = live
}
