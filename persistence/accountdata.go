package persistence

import (
	"encoding/json"
	"fmt"
)

// AccountData is one account-data entry with the position of its last
// change in its user's account-data stream. RoomID is "" for global data.
type AccountData struct {
	Pos     uint64          `json:"pos"`
	RoomID  string          `json:"-"`
	Type    string          `json:"-"`
	Content json.RawMessage `json:"content"`
}

// Account data keys:
//
//	a | 0 | lp(localpart) | lp(roomID) | lp(type) → AccountData{pos, content}
//	a | 1 | lp(localpart) | pos                   → lp(roomID) lp(type): the user's stream
//	a | 2 | lp(localpart)                         → pos: last position handed out
//
// The stream is per user: the user actor is its only writer, so positions
// commit in order and every position it has returned is already visible.
func accountDataKey(localpart, roomID, typ string) []byte {
	k := userFamily(prefixAccountData, subAccountDataRow, localpart)
	return appendComponent(appendComponent(k, roomID), typ)
}

func accountDataPosKey(localpart string, pos uint64) []byte {
	return appendBE64(userFamily(prefixAccountData, subAccountDataByPos, localpart), pos)
}

func accountDataLastKey(localpart string) []byte {
	return userFamily(prefixAccountData, subAccountDataLast, localpart)
}

// AccountData returns one entry, or ErrNotFound.
func (s *Store) AccountData(localpart, roomID, typ string) (AccountData, error) {
	var d AccountData
	if tooLong(localpart, roomID, typ) {
		return d, ErrNotFound
	}
	err := s.getJSON(accountDataKey(localpart, roomID, typ), &d)
	d.RoomID, d.Type = roomID, typ
	return d, err
}

// AccountDataPosition is the last position of the user's account-data
// stream (0 when the user never stored any).
func (s *Store) AccountDataPosition(localpart string) (uint64, error) {
	if tooLong(localpart) {
		return 0, nil
	}
	return s.counterAt(accountDataLastKey(localpart))
}

// AccountDataSince returns the entries changed after position since, in
// stream order, at most limit of them (limit ≤ 0: up to 10 000). Each
// entry appears once, at its latest position.
func (s *Store) AccountDataSince(localpart string, since uint64, limit int) ([]AccountData, error) {
	if tooLong(localpart) {
		return nil, nil
	}
	if since == ^uint64(0) {
		return nil, nil
	}
	if limit <= 0 || limit > maxUserDataListLimit {
		limit = maxUserDataListLimit
	}
	prefix := userFamily(prefixAccountData, subAccountDataByPos, localpart)
	var refs []AccountData
	err := s.scanPrefix(appendBE64(append([]byte(nil), prefix...), since+1), prefixEnd(prefix), func(k, v []byte) (bool, error) {
		room, ok1 := readComponent(v)
		typ, ok2 := readComponent(v[min(len(v), 2+len(room)):])
		if !ok1 || !ok2 || len(k) != len(prefix)+8 {
			return false, fmt.Errorf("%w: account-data stream row", ErrCorrupt)
		}
		refs = append(refs, AccountData{Pos: beU64(k[len(prefix):]), RoomID: room, Type: typ})
		return len(refs) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	for i := range refs {
		d, err := s.AccountData(localpart, refs[i].RoomID, refs[i].Type)
		if err != nil {
			return nil, fmt.Errorf("account data at position %d: %w", refs[i].Pos, err)
		}
		refs[i].Content = d.Content
	}
	return refs, nil
}

// AccountDataOf lists the user's entries for one room ("" for global), in
// type order.
func (s *Store) AccountDataOf(localpart, roomID string) ([]AccountData, error) {
	if tooLong(localpart, roomID) {
		return nil, nil
	}
	prefix := appendComponent(userFamily(prefixAccountData, subAccountDataRow, localpart), roomID)
	var out []AccountData
	err := s.scanPrefix(prefix, prefixEnd(prefix), func(k, v []byte) (bool, error) {
		typ, ok := readComponent(k[len(prefix):])
		if !ok {
			return false, fmt.Errorf("%w: account-data key", ErrCorrupt)
		}
		d := AccountData{RoomID: roomID, Type: typ}
		if err := json.Unmarshal(v, &d); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		out = append(out, d)
		return true, nil
	})
	return out, err
}

// PutAccountData stores content at position pos, which must be greater
// than the user's AccountDataPosition; prev is the entry it replaces (its
// stream row is removed) or nil.
func (b *Batch) PutAccountData(localpart, roomID, typ string, content json.RawMessage, pos uint64, prev *AccountData) {
	if !b.check(localpart, roomID, typ) {
		return
	}
	if prev != nil && prev.Pos != 0 {
		b.delete(accountDataPosKey(localpart, prev.Pos))
	}
	b.setJSON(accountDataKey(localpart, roomID, typ), AccountData{Pos: pos, Content: content})
	ref := appendComponent(appendComponent(nil, roomID), typ)
	b.set(accountDataPosKey(localpart, pos), ref)
	b.set(accountDataLastKey(localpart), appendBE64(nil, pos))
}
