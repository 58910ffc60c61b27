package e2ee

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/persistence"
)

// SendToDevice queues m.direct_to_device EDUs carrying messages (by
// recipient user, by device ID or "*") to the recipients' servers
// (server-server-api "Send-to-device messaging": one EDU per destination
// server). The message_id is derived from the sender's device and
// transaction ID, so a client's retry carries the same ID and the
// receiving server delivers it once. Local recipients are skipped.
//
// The EDUs are written to the durable to-device outbox before it returns
// (persistence.Store.QueueToDevice), so a message the client is told was
// sent survives a restart and is never shed; Config.WakeToDevice then
// tells the server actors. An error means nothing was queued and the
// client must be told so. Without WakeToDevice (no federation) nothing is
// queued.
func (s *Service) SendToDevice(sender, senderDevice, txnID, typ string, messages map[string]map[string]json.RawMessage) error {
	if s.cfg.WakeToDevice == nil {
		return nil
	}
	byServer := map[string]map[string]map[string]json.RawMessage{}
	for uid, devs := range messages {
		server := serverOf(uid)
		if server == "" || server == s.cfg.ServerName || len(devs) == 0 {
			continue
		}
		if byServer[server] == nil {
			byServer[server] = map[string]map[string]json.RawMessage{}
		}
		byServer[server][uid] = devs
	}
	queued := make([]persistence.QueuedToDevice, 0, len(byServer))
	dests := make([]string, 0, len(byServer))
	for server, msgs := range byServer {
		content, err := json.Marshal(map[string]any{"sender": sender, "type": typ,
			"message_id": messageID(sender, senderDevice, txnID, server), "messages": msgs})
		if err != nil {
			return fmt.Errorf("e2ee: encoding a to-device EDU: %w", err)
		}
		queued = append(queued, persistence.QueuedToDevice{Destination: server, Content: content})
		dests = append(dests, server)
	}
	if len(queued) == 0 {
		return nil
	}
	if _, err := s.cfg.Store.QueueToDevice(queued, uint64(s.cfg.Now().UnixNano())); err != nil {
		return err
	}
	s.cfg.WakeToDevice(dests)
	return nil
}

// messageID is 32 hex digits naming one to-device send to one server
// (m.direct_to_device.yaml: "Arbitrary utf8 string, of maximum length 32
// codepoints").
func messageID(sender, senderDevice, txnID, server string) string {
	h := sha256.Sum256([]byte(sender + "\x00" + senderDevice + "\x00" + txnID + "\x00" + server))
	return hex.EncodeToString(h[:16])
}
