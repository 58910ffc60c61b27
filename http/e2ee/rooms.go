package e2ee

import (
	"strings"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// serverOf is the server name of a user ID ("" when it has none).
func serverOf(userID string) string {
	if !strings.HasPrefix(userID, "@") {
		return ""
	}
	_, server, ok := strings.Cut(userID, ":")
	if !ok {
		return ""
	}
	return server
}

// tracked reports whether this server follows the remote user's device
// list: a local user asked for it while sharing a room with them (so it is
// cached), or the membership index has them joined to a room here. The
// index alone misses the members of a room joined over federation, whose
// memberships arrived as the join's state.
func (s *Service) tracked(userID string) bool {
	if _, err := s.cfg.Store.RemoteDeviceList(userID); err == nil {
		return true
	}
	rooms, err := s.cfg.Store.UserRooms(userID, event.MembershipJoin)
	return err == nil && len(rooms) > 0
}

// sharingServers lists the other servers with a member joined to a room
// userID is joined to: the destinations of userID's device-list updates
// (server-server-api "Device Management": "to all the servers who share a
// room with a given local user").
func (s *Service) sharingServers(userID string) []string {
	rooms, err := s.cfg.Store.UserRooms(userID, event.MembershipJoin)
	if err != nil {
		return nil
	}
	seen := map[string]bool{s.cfg.ServerName: true}
	var out []string
	for _, r := range rooms {
		st, err := s.cfg.Store.CurrentStateOfType(r.RoomID, event.TypeMember)
		if err != nil {
			continue
		}
		members, err := s.cfg.Store.MembersOf(st)
		if err != nil {
			continue
		}
		for uid, rec := range members {
			dest := serverOf(uid)
			if dest == "" || seen[dest] {
				continue
			}
			if ev, err := rec.Event(); err != nil || core.MembershipOf(ev) != event.MembershipJoin {
				continue
			}
			seen[dest] = true
			out = append(out, dest)
		}
	}
	return out
}
