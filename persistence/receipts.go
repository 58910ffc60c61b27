package persistence

import (
	"encoding/json"
	"fmt"
)

// Receipts (spec: client-server-api module "Receipts") are one stream
// across all rooms, written by the HTTP edge under the stream-log mutex
// (streamlog.go):
//
//	Y | 0 | lp(roomID) | lp(type) | lp(userID) | lp(threadID) → Receipt
//	Y | 1 | pos                                                → the same four components: the receipt stream
//
// A user has one receipt per room, type and thread; replacing it deletes
// its old stream row, so the log holds one row per live receipt.
const (
	prefixReceipt  byte = 'Y'
	subReceiptByID byte = 0
)

// Receipt is one user's receipt in a room. ThreadID is "" for an
// unthreaded receipt.
type Receipt struct {
	RoomID   string `json:"-"`
	Type     string `json:"-"`
	UserID   string `json:"-"`
	ThreadID string `json:"-"`
	EventID  string `json:"event_id"`
	TS       int64  `json:"ts"`
	Pos      uint64 `json:"pos"`
}

func receiptSuffix(r Receipt) []byte {
	k := appendComponent(nil, r.RoomID)
	k = appendComponent(k, r.Type)
	k = appendComponent(k, r.UserID)
	return appendComponent(k, r.ThreadID)
}

func receiptKey(suffix []byte) []byte {
	return append([]byte{prefixReceipt, subReceiptByID}, suffix...)
}

func parseReceiptSuffix(k []byte) (Receipt, bool) {
	var r Receipt
	var ok bool
	if r.RoomID, k, ok = splitComponent(k); !ok {
		return r, false
	}
	if r.Type, k, ok = splitComponent(k); !ok {
		return r, false
	}
	if r.UserID, k, ok = splitComponent(k); !ok {
		return r, false
	}
	if r.ThreadID, k, ok = splitComponent(k); !ok || len(k) != 0 {
		return r, false
	}
	return r, true
}

// PutReceipt stores r (replacing the user's previous receipt of the same
// room, type and thread) and returns its stream position.
func (s *Store) PutReceipt(r Receipt) (uint64, error) {
	if tooLong(r.RoomID, r.Type, r.UserID, r.ThreadID) {
		return 0, ErrKeyTooLong
	}
	suffix := receiptSuffix(r)
	b := s.NewBatch()
	return s.commitLogged(prefixReceipt, b, func(pos uint64) {
		var old Receipt
		if err := s.getJSON(receiptKey(suffix), &old); err == nil && old.Pos != 0 {
			b.delete(logKey(prefixReceipt, old.Pos))
		}
		r.Pos = pos
		b.setJSON(receiptKey(suffix), r)
		b.set(logKey(prefixReceipt, pos), suffix)
	})
}

// ReceiptPosition is the last position of the receipt stream.
func (s *Store) ReceiptPosition() (uint64, error) { return s.logPosition(prefixReceipt) }

// ReceiptsSince returns the receipts written at positions in (from, to],
// in order.
func (s *Store) ReceiptsSince(from, to uint64) ([]Receipt, error) {
	if to <= from {
		return nil, nil
	}
	var out []Receipt
	err := s.scanPrefix(logKey(prefixReceipt, from+1), logKey(prefixReceipt, to+1), func(_, v []byte) (bool, error) {
		r, ok := parseReceiptSuffix(v)
		if !ok {
			return false, fmt.Errorf("%w: receipt log row", ErrCorrupt)
		}
		if err := s.getJSON(receiptKey(v), &r); err != nil {
			if err == ErrNotFound {
				return true, nil
			}
			return false, err
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
}

// RoomReceipts returns every receipt of a room at positions ≤ upTo.
func (s *Store) RoomReceipts(roomID string, upTo uint64) ([]Receipt, error) {
	if tooLong(roomID) {
		return nil, nil
	}
	p := receiptKey(appendComponent(nil, roomID))
	var out []Receipt
	err := s.scanPrefix(p, prefixEnd(p), func(k, v []byte) (bool, error) {
		r, ok := parseReceiptSuffix(k[2:])
		if !ok {
			return false, fmt.Errorf("%w: receipt key", ErrCorrupt)
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if r.Pos <= upTo {
			out = append(out, r)
		}
		return true, nil
	})
	return out, err
}

// ReceiptOf returns one user's receipt of a type in a room and thread
// ("" for unthreaded), or ErrNotFound.
func (s *Store) ReceiptOf(roomID, typ, userID, threadID string) (Receipt, error) {
	r := Receipt{RoomID: roomID, Type: typ, UserID: userID, ThreadID: threadID}
	if tooLong(roomID, typ, userID, threadID) {
		return r, ErrNotFound
	}
	err := s.getJSON(receiptKey(receiptSuffix(r)), &r)
	return r, err
}
