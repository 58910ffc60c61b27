package user

import (
	"encoding/json"

	"github.com/axonhs/axon/persistence"
)

// DeliverToDevice puts one sender's to-device messages into this user's
// device inboxes (spec: PUT /sendToDevice/{eventType}/{txnId}). Device "*"
// means every device; unknown devices are skipped. A transaction already
// delivered to this user is not delivered again, so a retried request
// stays idempotent. The result maps device ID → inbox position.
type DeliverToDevice struct {
	Sender, SenderDevice, TxnID string
	Type                        string
	Messages                    map[string]json.RawMessage
}

func (c DeliverToDevice) apply(s *state) (any, error) {
	seen, err := s.store.ToDeviceTxnSeen(s.localpart, c.Sender, c.SenderDevice, c.TxnID)
	if err != nil || seen {
		return map[string]uint64{}, err
	}
	devices, err := s.store.Devices(s.localpart)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(devices))
	for _, d := range devices {
		known[d.ID] = true
	}
	targets := make(map[string]json.RawMessage)
	for dev, content := range c.Messages {
		if dev == "*" {
			for _, d := range devices {
				if _, explicit := c.Messages[d.ID]; !explicit {
					targets[d.ID] = content
				}
			}
		} else if known[dev] {
			targets[dev] = content
		}
	}
	b := s.store.NewBatch()
	out := make(map[string]uint64, len(targets))
	for dev, content := range targets {
		last, err := s.store.ToDevicePosition(s.localpart, dev)
		if err != nil {
			b.Close()
			return nil, err
		}
		b.PutToDevice(s.localpart, dev, last+1, persistence.ToDeviceMessage{Sender: c.Sender, Type: c.Type, Content: content})
		out[dev] = last + 1
	}
	b.PutToDeviceTxn(s.localpart, c.Sender, c.SenderDevice, c.TxnID)
	return out, s.commit(b, nil)
}

// AckToDevice deletes a device's to-device messages up to and including
// position UpTo: the client's next sync token has acknowledged them.
type AckToDevice struct {
	DeviceID string
	UpTo     uint64
}

func (c AckToDevice) apply(s *state) (any, error) {
	b := s.store.NewBatch()
	b.AckToDevice(s.localpart, c.DeviceID, c.UpTo)
	return nil, s.commit(b, nil)
}
