package e2ee

import (
	"slices"
	"strings"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
)

// maxRoomsRemembered bounds the rooms whose joined servers RoomCommitted
// keeps in memory; beyond it the memory is dropped and rebuilt from the
// rooms' next commits (each costing one check of its members).
const maxRoomsRemembered = 10_000

// roomServers is RoomCommitted's memory: the remote servers last found
// joined to each room, and the rooms waiting for the publishing worker.
// It is guarded by Service.mu.
type roomServers struct {
	joined  map[string]map[string]bool
	pending map[string]bool
	order   []string
}

// RoomCommitted hears that a batch of roomID committed, with the users it
// may concern (the room's members and those whose membership it changed:
// actors/room.CommitHook). When one of them belongs to a server not known
// to be joined to the room, the publishing worker checks the room's
// members: a server that newly shares the room with local users is sent
// their device lists (server-server-api "Device Management": updates go
// out "when that user joins a room which contains servers which are not
// already receiving updates for that user's device list"). This covers a
// remote user joining a room with local members and a local user joining
// a room over federation alike. It never blocks and reads no storage; its
// cost is one map lookup per user (BenchmarkRoomCommitted).
func (s *Service) RoomCommitted(roomID string, userIDs []string) {
	s.mu.Lock()
	if s.closed || s.rooms.pending[roomID] {
		s.mu.Unlock()
		return
	}
	// remember replaces a room's set and never changes it, so it is read
	// without the lock.
	known, remembered := s.rooms.joined[roomID]
	s.mu.Unlock()
	fresh := !remembered
	for _, uid := range userIDs {
		if fresh {
			break
		}
		if srv := serverOf(uid); srv != "" && srv != s.cfg.ServerName && !known[srv] {
			fresh = true
		}
	}
	if !fresh {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.rooms.pending[roomID] {
		return
	}
	if s.rooms.pending == nil {
		s.rooms.pending = map[string]bool{}
	}
	s.rooms.pending[roomID] = true
	s.rooms.order = append(s.rooms.order, roomID)
	if !s.running {
		s.running = true
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.publishLoop()
		}()
	}
}

// remember records the remote servers joined to roomID.
func (s *Service) remember(roomID string, joined []string) {
	set := make(map[string]bool, len(joined))
	for _, srv := range joined {
		set[srv] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms.joined == nil || len(s.rooms.joined) >= maxRoomsRemembered {
		s.rooms.joined = map[string]map[string]bool{}
	}
	s.rooms.joined[roomID] = set
}

// announceToNewServers compares the remote servers joined to roomID with
// those already given its local members' device lists, and sends each
// local member's full device list (one m.device_list_update per device,
// with new stream_ids chained onto the last announced one, and the
// cross-signing keys) to the servers that are new. A server whose cache
// of a user is behind does not know the first update's prev_id and
// resynchronises; one with nothing cached learns the user changed. The
// servers of the room are recorded afterwards, so a crash in between
// tells them again.
func (s *Service) announceToNewServers(roomID string) error {
	st, err := s.cfg.Store.CurrentStateOfType(roomID, event.TypeMember)
	if err != nil {
		return err
	}
	members, err := s.cfg.Store.MembersOf(st)
	if err != nil {
		return err
	}
	var locals, joined []string
	for uid, rec := range members {
		if ev, err := rec.Event(); err != nil || core.MembershipOf(ev) != event.MembershipJoin {
			continue
		}
		switch srv := serverOf(uid); {
		case srv == s.cfg.ServerName:
			locals = append(locals, strings.TrimPrefix(strings.TrimSuffix(uid, ":"+srv), "@"))
		case srv != "" && !slices.Contains(joined, srv):
			joined = append(joined, srv)
		}
	}
	slices.Sort(joined)
	slices.Sort(locals)
	s.remember(roomID, joined)
	given, err := s.cfg.Store.RoomDeviceListServers(roomID)
	if err != nil {
		return err
	}
	var fresh []string
	for _, srv := range joined {
		if !slices.Contains(given, srv) {
			fresh = append(fresh, srv)
		}
	}
	if len(fresh) > 0 && len(locals) > 0 && s.cfg.SendEDU != nil {
		for _, lp := range locals {
			edus, next, err := s.announcements(lp, true)
			if err != nil {
				return err
			}
			if len(edus) == 0 {
				continue
			}
			b := s.cfg.Store.NewBatch()
			b.PutSentDeviceList(lp, next)
			if err := b.Commit(); err != nil {
				return err
			}
			for _, dest := range fresh {
				for _, e := range edus {
					s.cfg.SendEDU(dest, e)
				}
			}
		}
	}
	if slices.Equal(given, joined) {
		return nil
	}
	b := s.cfg.Store.NewBatch()
	b.PutRoomDeviceListServers(roomID, joined)
	return b.Commit()
}
