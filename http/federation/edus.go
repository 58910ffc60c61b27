package federation

import (
	"context"
	"encoding/json"
	"strings"

	"go.uber.org/zap"

	"github.com/axonhs/axon/actors/user"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
)

// processEDUs delivers the EDUs of a transaction whose local plumbing
// exists: m.direct_to_device goes to the recipients' to-device inboxes,
// m.receipt and m.presence into the receipt and presence streams /sync
// reads, m.typing to the client API's typing tracker, and
// m.device_list_update and m.signing_key_update to the cache of remote
// device lists (http/e2ee). Malformed EDUs are ignored: an EDU has no
// per-item answer in a transaction's result.
func (a *API) processEDUs(ctx context.Context, origin string, edus []federation.EDU) {
	var deviceLists []json.RawMessage // applied together: one commit per transaction
	for _, e := range edus {
		switch e.Type {
		case "m.direct_to_device":
			a.toDevice(ctx, origin, e.Content)
		case "m.receipt":
			a.receipts(origin, e.Content)
		case "m.presence":
			a.presence(origin, e.Content)
		case "m.typing":
			a.typing(origin, e.Content)
		case "m.device_list_update":
			deviceLists = append(deviceLists, e.Content)
		case "m.signing_key_update":
			if a.cfg.E2EE != nil {
				a.cfg.E2EE.SigningKeyUpdate(origin, e.Content)
			}
		default:
			if ce := a.cfg.Log.Check(zap.DebugLevel, "EDU accepted and dropped"); ce != nil {
				ce.Write(zap.String("server", origin), zap.String("edu_type", e.Type))
			}
		}
	}
	if len(deviceLists) > 0 && a.cfg.E2EE != nil {
		a.cfg.E2EE.DeviceListUpdates(origin, deviceLists)
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

// receipts stores the read receipts of an m.receipt EDU
// (server-server-api "Receipts") for users of origin in rooms of this
// server whose ACL admits origin, and wakes the rooms' local members.
func (a *API) receipts(origin string, content json.RawMessage) {
	var rooms map[string]map[string]map[string]struct {
		EventIDs []string `json:"event_ids"`
		Data     struct {
			TS       int64  `json:"ts"`
			ThreadID string `json:"thread_id"`
		} `json:"data"`
	}
	if json.Unmarshal(content, &rooms) != nil {
		return
	}
	for roomID, types := range rooms {
		if _, err := a.cfg.Store.Room(roomID); err != nil || !a.aclAllows(roomID, origin) {
			continue
		}
		stored := false
		for typ, users := range types {
			if typ != "m.read" {
				continue // private receipts never leave their server
			}
			for userID, r := range users {
				if serverOf(userID) != origin || len(r.EventIDs) == 0 {
					continue
				}
				if _, err := a.cfg.Store.PutReceipt(persistence.Receipt{RoomID: roomID, Type: typ, UserID: userID,
					ThreadID: r.Data.ThreadID, EventID: r.EventIDs[0], TS: r.Data.TS}); err != nil {
					a.cfg.Log.Info("storing a remote receipt", zap.String("room_id", roomID), zap.Error(err))
					continue
				}
				stored = true
			}
		}
		if stored {
			a.wakeLocal([]string{roomID})
		}
	}
}

// typing records an m.typing EDU (server-server-api "Typing
// Notifications": "Receiving servers should verify that the user is in the
// room, and is a user belonging to the sending server") when the room's
// server ACL admits origin as well.
func (a *API) typing(origin string, content json.RawMessage) {
	if a.cfg.Typing == nil {
		return
	}
	var edu struct {
		RoomID string `json:"room_id"`
		UserID string `json:"user_id"`
		Typing *bool  `json:"typing"`
	}
	if json.Unmarshal(content, &edu) != nil || edu.RoomID == "" || edu.Typing == nil || serverOf(edu.UserID) != origin {
		return
	}
	if !a.aclAllows(edu.RoomID, origin) {
		return
	}
	rec, err := a.cfg.Store.CurrentStateEvent(edu.RoomID, "m.room.member", edu.UserID)
	if err != nil {
		return
	}
	if ev, err := rec.Event(); err != nil || core.MembershipOf(ev) != "join" {
		return
	}
	a.cfg.Typing(edu.RoomID, edu.UserID, *edu.Typing)
}

// presence stores the updates of an m.presence EDU (server-server-api
// "Presence") for users of origin and wakes the local users who share a
// room with them.
func (a *API) presence(origin string, content json.RawMessage) {
	var edu struct {
		Push []struct {
			UserID          string  `json:"user_id"`
			Presence        string  `json:"presence"`
			StatusMsg       *string `json:"status_msg"`
			LastActiveAgo   int64   `json:"last_active_ago"`
			CurrentlyActive bool    `json:"currently_active"`
		} `json:"push"`
	}
	if json.Unmarshal(content, &edu) != nil {
		return
	}
	for _, u := range edu.Push {
		if serverOf(u.UserID) != origin || (u.Presence != "online" && u.Presence != "offline" && u.Presence != "unavailable") {
			continue
		}
		p := persistence.Presence{UserID: u.UserID, Presence: u.Presence, CurrentlyActive: u.CurrentlyActive,
			LastActiveTS: a.now().UnixMilli() - max(u.LastActiveAgo, 0)}
		if u.StatusMsg != nil {
			p.StatusMsg = *u.StatusMsg
		}
		if _, err := a.cfg.Store.PutPresence(p); err != nil {
			a.cfg.Log.Info("storing a remote presence", zap.String("user_id", u.UserID), zap.Error(err))
			continue
		}
		rooms, err := a.cfg.Store.UserRooms(u.UserID, "join")
		if err != nil {
			continue
		}
		ids := make([]string, len(rooms))
		for i, r := range rooms {
			ids[i] = r.RoomID
		}
		a.wakeLocal(ids)
	}
}

// wakeLocal wakes the parked /sync requests of the rooms' joined local
// users; they read the new receipts and presence themselves.
func (a *API) wakeLocal(roomIDs []string) {
	if a.cfg.Users == nil {
		return
	}
	suffix := ":" + a.cfg.ServerName
	seen := map[string]bool{}
	var lps []string
	for _, roomID := range roomIDs {
		st, err := a.cfg.Store.CurrentStateOfType(roomID, "m.room.member")
		if err != nil {
			continue
		}
		members, err := a.cfg.Store.MembersOf(st)
		if err != nil {
			continue
		}
		for userID, rec := range members {
			if !strings.HasSuffix(userID, suffix) || seen[userID] {
				continue
			}
			if ev, err := rec.Event(); err != nil || core.MembershipOf(ev) != "join" {
				continue
			}
			seen[userID] = true
			lps = append(lps, strings.TrimSuffix(strings.TrimPrefix(userID, "@"), suffix))
		}
	}
	if len(lps) > 0 {
		a.cfg.Users.Wake(lps, 0)
	}
}
