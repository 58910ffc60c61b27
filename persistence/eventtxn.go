package persistence

import "errors"

// Event transaction records ('W'): W | nid → EventTxn. The room actor writes
// one in the batch of an event a client sent with a transaction ID, so that
// the event can be served to that device with unsigned.transaction_id
// (client-server-api "Transaction identifiers" and ClientEvent unsigned:
// "the client-supplied transaction ID ... if the client being given the
// event is the same one which sent it").

const prefixEventTxn byte = 'W'

func eventTxnKey(nid uint64) []byte { return appendU64([]byte{prefixEventTxn}, nid) }

// EventTxn is who sent an event under which transaction ID.
type EventTxn struct {
	UserID   string `json:"user_id"`
	DeviceID string `json:"device_id"`
	// TxnID is the transaction ID exactly as the client sent it in the path.
	TxnID string `json:"txn_id"`
}

// PutEventTxn records that event nid was sent by t.UserID's device
// t.DeviceID under transaction ID t.TxnID.
func (b *RoomBatch) PutEventTxn(nid uint64, t EventTxn) {
	if b.check(t.UserID, t.DeviceID, t.TxnID) {
		b.setJSON(eventTxnKey(nid), t)
	}
}

// EventTxn returns the transaction record of event nid; ErrNotFound for an
// event sent without one (or by another server).
func (s *Store) EventTxn(nid uint64) (EventTxn, error) {
	var t EventTxn
	err := s.getJSON(eventTxnKey(nid), &t)
	return t, err
}

// TransactionIDFor returns the transaction ID to show as
// unsigned.transaction_id when event nid is served to deviceID of userID:
// the one it was sent under if that device sent it, else "".
func (s *Store) TransactionIDFor(nid uint64, userID, deviceID string) (string, error) {
	if deviceID == "" {
		return "", nil
	}
	t, err := s.EventTxn(nid)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case t.UserID != userID || t.DeviceID != deviceID:
		return "", nil
	}
	return t.TxnID, nil
}
