package client

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// maxToDeviceTargets bounds the devices one request may address.
const maxToDeviceTargets = 10_000

// sendToDevice is PUT /sendToDevice/{eventType}/{txnId} (spec: "Send-to-
// Device messaging"). Each local recipient's actor puts the messages into
// its device inboxes and remembers the sender's transaction, so a retried
// request delivers nothing twice. Messages to unknown local users or
// devices are dropped, as Synapse does. Messages to users of other servers
// go out as one m.direct_to_device EDU per server through the server
// actors' durable to-device outbox (server-server-api "Send-to-device
// messaging"), written before the answer, whose message_id
// the sender's transaction ID determines, so a retry is delivered once.
func (a *API) sendToDevice(ctx *fasthttp.RequestCtx, s user.Session) error {
	typ, err := axhttp.Param(ctx, "eventType")
	if err != nil {
		return err
	}
	txn, err := axhttp.Param(ctx, "txnId")
	if err != nil {
		return err
	}
	if typ == "" || len(typ) > 255 || txn == "" || len(txn) > 255 {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid event type or transaction ID")
	}
	var req struct {
		Messages map[string]map[string]json.RawMessage `json:"messages"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.Messages == nil {
		return axhttp.MissingParam("messages")
	}
	n := 0
	for uid, devs := range req.Messages {
		if _, _, err := a.localUser(uid); err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid user ID %q", uid)
		}
		for dev, content := range devs {
			n++
			if c := bytes.TrimSpace(content); dev == "" || len(c) == 0 || c[0] != '{' {
				return axhttp.Errorf(axhttp.CodeBadJSON, "Each message must be an object addressed to a device")
			}
		}
	}
	if n > maxToDeviceTargets {
		return axhttp.Errorf(axhttp.CodeTooLarge, "Too many recipients")
	}
	sender := a.userID(s.Localpart)
	remote := map[string]map[string]json.RawMessage{}
	for uid, devs := range req.Messages {
		lp, local, _ := a.localUser(uid)
		if !local && len(devs) > 0 {
			remote[uid] = devs
		}
		if !local || len(devs) == 0 {
			continue
		}
		if _, err := a.cfg.Store.Account(lp); errors.Is(err, persistence.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		cmd := user.DeliverToDevice{Sender: sender, SenderDevice: s.DeviceID, TxnID: txn, Type: typ, Messages: devs}
		if _, err := a.doUser(lp, cmd); err != nil {
			return err
		}
	}
	if len(remote) > 0 && a.cfg.E2EE != nil {
		// Durably queued before the answer: a 200 means the message will
		// reach the recipients' servers, across restarts and outages.
		if err := a.cfg.E2EE.SendToDevice(sender, s.DeviceID, txn, typ, remote); err != nil {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
