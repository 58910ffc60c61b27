package homeserver

import (
	"crypto/rand"

	"github.com/axonhs/axon/actors/room"
	core "github.com/axonhs/axon/rooms/room"
)

// newRooms starts the room directory: room actors sign the events they
// build with the server's key, and draw room and event IDs from crypto/rand.
func (s *Server) newRooms() (*room.Directory, error) {
	d, err := room.NewDirectory(s.sys, room.Config{
		Store:  s.store,
		Signer: core.Signer{ServerName: s.cfg.ServerName, Key: s.key, Rand: rand.Reader},
		// Commits wake the parked /syncs of the room's local users, and
		// tell the E2EE service (created after the rooms, before any
		// commit) of servers that may newly share the room.
		OnCommit: func(roomID string, pos uint64, userIDs []string) {
			if api := s.clientAPI.Load(); api != nil {
				api.WakeCommitted(roomID, pos, userIDs)
			}
			if s.e2ee != nil {
				s.e2ee.RoomCommitted(roomID, userIDs)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	// /messages fetches the history of rooms joined over federation.
	d.SetBackfiller(s.backfiller(d))
	return d, nil
}
