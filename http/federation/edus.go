package federation

import (
	"context"
	"encoding/json"
	"strings"

	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/federation"
)

// processEDUs delivers the EDUs of a transaction whose local plumbing
// exists. m.direct_to_device goes to the recipients' to-device inboxes.
// m.typing, m.receipt, m.presence, m.device_list_update and
// m.signing_key_update are accepted and dropped: this server keeps no
// remote typing, receipt, presence or device-list state yet.
func (a *API) processEDUs(ctx context.Context, origin string, edus []federation.EDU) {
	for _, e := range edus {
		switch e.Type {
		case "m.direct_to_device":
			a.toDevice(ctx, origin, e.Content)
		default:
			if ce := a.cfg.Log.Check(zap.DebugLevel, "EDU accepted and dropped"); ce != nil {
				ce.Write(zap.String("server", origin), zap.String("edu_type", e.Type))
			}
		}
	}
}

// toDevice delivers an m.direct_to_device EDU (server-server-api
// "Send-to-device messaging"): the sender must be a user of the origin,
// and message_id makes a resend idempotent.
func (a *API) toDevice(ctx context.Context, origin string, content json.RawMessage) {
	if a.cfg.Users == nil {
		return
	}
	var m struct {
		Sender    string                                `json:"sender"`
		Type      string                                `json:"type"`
		MessageID string                                `json:"message_id"`
		Messages  map[string]map[string]json.RawMessage `json:"messages"`
	}
	if json.Unmarshal(content, &m) != nil || m.Type == "" || m.MessageID == "" || serverOf(m.Sender) != origin {
		return
	}
	suffix := ":" + a.cfg.ServerName
	for userID, devices := range m.Messages {
		if !strings.HasPrefix(userID, "@") || !strings.HasSuffix(userID, suffix) {
			continue
		}
		localpart := strings.TrimSuffix(userID[1:], suffix)
		_, err := a.cfg.Users.Do(ctx, localpart, user.DeliverToDevice{
			Sender: m.Sender, TxnID: "federation\x00" + m.MessageID, Type: m.Type, Messages: devices,
		})
		if err != nil {
			a.cfg.Log.Info("delivering a to-device message", zap.String("user_id", userID), zap.Error(err))
		}
	}
}
