package persistence

import (
	"encoding/json"
	"fmt"
)

// To-device inboxes (spec: client-server-api "Send-to-Device messaging"),
// one per device, each its own stream; the recipient's user actor is the
// only writer:
//
//	v | 0 | lp(localpart) | lp(deviceID)                                → pos: last position handed out
//	v | 1 | lp(localpart) | lp(deviceID) | pos                          → ToDeviceMessage
//	v | 2 | lp(localpart) | lp(senderUserID) | lp(senderDevice) | lp(txnID) → empty: a delivered transaction
//
// The counter row outlives the messages, so positions never repeat after
// the inbox has been emptied.

// ToDeviceMessage is one message in a device's inbox.
type ToDeviceMessage struct {
	Pos     uint64          `json:"-"`
	Sender  string          `json:"sender"`
	Type    string          `json:"type"`
	Content json.RawMessage `json:"content"`
}

func toDeviceLastKey(localpart, deviceID string) []byte {
	return appendComponent(userFamily(prefixToDevice, subToDeviceLast, localpart), deviceID)
}

func toDeviceInboxPrefix(localpart, deviceID string) []byte {
	return appendComponent(userFamily(prefixToDevice, subToDeviceMessage, localpart), deviceID)
}

func toDeviceTxnKey(localpart, sender, senderDevice, txnID string) []byte {
	k := userFamily(prefixToDevice, subToDeviceTxn, localpart)
	return appendComponent(appendComponent(appendComponent(k, sender), senderDevice), txnID)
}

// ToDevicePosition is the last position of a device's inbox stream.
func (s *Store) ToDevicePosition(localpart, deviceID string) (uint64, error) {
	if tooLong(localpart, deviceID) {
		return 0, nil
	}
	return s.counterAt(toDeviceLastKey(localpart, deviceID))
}

// ToDeviceSince returns up to limit messages after position since, in
// order (limit ≤ 0: up to 10 000).
func (s *Store) ToDeviceSince(localpart, deviceID string, since uint64, limit int) ([]ToDeviceMessage, error) {
	if tooLong(localpart, deviceID) {
		return nil, nil
	}
	if since == ^uint64(0) {
		return nil, nil
	}
	if limit <= 0 || limit > maxUserDataListLimit {
		limit = maxUserDataListLimit
	}
	prefix := toDeviceInboxPrefix(localpart, deviceID)
	var out []ToDeviceMessage
	err := s.scanPrefix(appendBE64(append([]byte(nil), prefix...), since+1), prefixEnd(prefix), func(k, v []byte) (bool, error) {
		if len(k) != len(prefix)+8 {
			return false, fmt.Errorf("%w: to-device key", ErrCorrupt)
		}
		var m ToDeviceMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		m.Pos = beU64(k[len(prefix):])
		out = append(out, m)
		return len(out) < limit, nil
	})
	return out, err
}

// ToDeviceTxnSeen reports whether the transaction was already delivered
// to localpart.
func (s *Store) ToDeviceTxnSeen(localpart, sender, senderDevice, txnID string) (bool, error) {
	if tooLong(localpart, sender, senderDevice, txnID) {
		return false, ErrKeyTooLong
	}
	_, err := s.getRaw(toDeviceTxnKey(localpart, sender, senderDevice, txnID))
	if err == ErrNotFound {
		return false, nil
	}
	return err == nil, err
}

// PutToDevice appends m to a device's inbox at position pos, which must be
// greater than ToDevicePosition.
func (b *Batch) PutToDevice(localpart, deviceID string, pos uint64, m ToDeviceMessage) {
	if !b.check(localpart, deviceID) {
		return
	}
	b.setJSON(appendBE64(toDeviceInboxPrefix(localpart, deviceID), pos), m)
	b.set(toDeviceLastKey(localpart, deviceID), appendBE64(nil, pos))
}

// PutToDeviceTxn records a delivered transaction for idempotency.
func (b *Batch) PutToDeviceTxn(localpart, sender, senderDevice, txnID string) {
	if b.check(localpart, sender, senderDevice, txnID) {
		b.set(toDeviceTxnKey(localpart, sender, senderDevice, txnID), nil)
	}
}

// AckToDevice deletes a device's messages at positions ≤ upTo.
func (b *Batch) AckToDevice(localpart, deviceID string, upTo uint64) {
	if !b.check(localpart, deviceID) || upTo == 0 {
		return
	}
	prefix := toDeviceInboxPrefix(localpart, deviceID)
	end := prefixEnd(prefix)
	if upTo < ^uint64(0) {
		end = appendBE64(append([]byte(nil), prefix...), upTo+1)
	}
	b.deleteRange(prefix, end)
}
