package persistence

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The servers of a room that have been given its local members' device
// lists (http/e2ee: server-server-api "Device Management" asks for
// m.device_list_update EDUs "when that user joins a room which contains
// servers which are not already receiving updates"):
//
//	H | lp(roomID) → JSON array of server names
//
// A server of the room's joined members that is missing here newly shares
// the room; a server that left is dropped, so that it is told again if it
// comes back.
const prefixRoomDeviceListServers byte = 'H'

func roomDeviceListServersKey(roomID string) []byte {
	return appendComponent([]byte{prefixRoomDeviceListServers}, roomID)
}

// RoomDeviceListServers returns the servers recorded for roomID (none
// when nothing is recorded).
func (s *Store) RoomDeviceListServers(roomID string) ([]string, error) {
	v, closer, err := s.db.Get(roomDeviceListServersKey(roomID))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("persistence: room device-list servers: %w", err)
	}
	defer closer.Close()
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("%w: room device-list servers of %s: %v", ErrCorrupt, roomID, err)
	}
	return out, nil
}

// PutRoomDeviceListServers records servers for roomID.
func (b *Batch) PutRoomDeviceListServers(roomID string, servers []string) {
	if !b.check(roomID) {
		return
	}
	b.setJSON(roomDeviceListServersKey(roomID), servers)
}
