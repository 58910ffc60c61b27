package homeserver

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/axonhs/axon/actors/server"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// ephemeral turns the client API's typing, receipt and presence changes
// into EDUs for the server actors of the other servers concerned. It works
// in the caller's goroutine (a few Pebble reads, then messages that never
// block) so that one user's changes reach the actors in the order made.
type ephemeral struct{ s *Server }

func (e ephemeral) Typing(roomID, userID string, typing bool) {
	e.toRooms([]string{roomID}, server.TypingEDU(roomID, userID, typing))
}

func (e ephemeral) Receipt(roomID, receiptType, userID, eventID, threadID string, ts int64) {
	data := map[string]any{"ts": ts}
	if threadID != "" {
		data["thread_id"] = threadID
	}
	raw, _ := json.Marshal(data)
	e.toRooms([]string{roomID}, server.ReceiptEDU(roomID, receiptType, userID, []string{eventID}, raw))
}

func (e ephemeral) Presence(p persistence.Presence) {
	update := map[string]any{"user_id": p.UserID, "presence": p.Presence, "currently_active": p.CurrentlyActive}
	if p.StatusMsg != "" {
		update["status_msg"] = p.StatusMsg
	}
	// last_active_ago is required in a user_presence_update
	// (server-server-api "Presence"); 0 when the user was never active.
	update["last_active_ago"] = int64(0)
	if p.LastActiveTS > 0 {
		update["last_active_ago"] = max(time.Now().UnixMilli()-p.LastActiveTS, 0)
	}
	raw, _ := json.Marshal(update)
	rooms, err := e.s.store.UserRooms(p.UserID, "join")
	if err != nil {
		return
	}
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.RoomID
	}
	e.toRooms(ids, server.PresenceEDU(p.UserID, raw))
}

// toRooms queues edu for every other server with a member joined to one
// of the rooms.
func (e ephemeral) toRooms(roomIDs []string, edu server.EDU) {
	servers := e.s.fed.servers
	if servers == nil {
		return
	}
	seen := map[string]bool{e.s.cfg.ServerName: true}
	for _, roomID := range roomIDs {
		st, err := e.s.store.CurrentStateOfType(roomID, event.TypeMember)
		if err != nil {
			continue
		}
		members, err := e.s.store.MembersOf(st)
		if err != nil {
			continue
		}
		for userID, rec := range members {
			_, dest, ok := strings.Cut(userID, ":")
			if !ok || seen[dest] {
				continue
			}
			if ev, err := rec.Event(); err != nil || core.MembershipOf(ev) != event.MembershipJoin {
				continue
			}
			seen[dest] = true
			servers.SendEDU(dest, edu)
		}
	}
}
