package e2ee

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/axonhs/axon/federation"
)

// SendToDevice queues m.direct_to_device EDUs carrying messages (by
// recipient user, by device ID or "*") to the recipients' servers
// (server-server-api "Send-to-device messaging": one EDU per destination
// server). The message_id is derived from the sender's device and
// transaction ID, so a client's retry carries the same ID and the
// receiving server delivers it once. Local recipients are skipped.
func (s *Service) SendToDevice(sender, senderDevice, txnID, typ string, messages map[string]map[string]json.RawMessage) {
	if s.cfg.SendEDU == nil {
		return
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
	for server, msgs := range byServer {
		content, err := json.Marshal(map[string]any{"sender": sender, "type": typ,
			"message_id": messageID(sender, senderDevice, txnID, server), "messages": msgs})
		if err != nil {
			continue
		}
		s.cfg.SendEDU(server, federation.EDU{Type: "m.direct_to_device", Content: content})
	}
}

// messageID is 32 hex digits naming one to-device send to one server
// (m.direct_to_device.yaml: "Arbitrary utf8 string, of maximum length 32
// codepoints").
func messageID(sender, senderDevice, txnID, server string) string {
	h := sha256.Sum256([]byte(sender + "\x00" + senderDevice + "\x00" + txnID + "\x00" + server))
	return hex.EncodeToString(h[:16])
}
