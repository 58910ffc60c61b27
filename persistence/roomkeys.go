package persistence

import "encoding/binary"

// Key builders of the room families documented in keys.go.

func appendU64(k []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(k, v) }

// sortableDepth maps an int64 depth to a uint64 that sorts the same way.
func sortableDepth(d int64) uint64 { return uint64(d) ^ (1 << 63) }

func depthFromSortable(u uint64) int64 { return int64(u ^ (1 << 63)) }

func eventKey(nid uint64) []byte       { return appendU64([]byte{prefixEvent}, nid) }
func eventIDKey(eventID string) []byte { return append([]byte{prefixEventID}, eventID...) }
func streamKey(pos uint64) []byte      { return appendU64([]byte{prefixStream}, pos) }
func stateGroupKey(id uint64) []byte   { return appendU64([]byte{prefixStateGroup}, id) }
func roomKey(roomID string) []byte     { return appendComponent([]byte{prefixRoom}, roomID) }
func roomPrefix(family byte, roomID string) []byte {
	return appendComponent([]byte{family}, roomID)
}

func topoKey(roomID string, t Topo) []byte {
	return appendU64(appendU64(roomPrefix(prefixTopo, roomID), sortableDepth(t.Depth)), t.Stream)
}

func roomStreamKey(roomID string, pos uint64) []byte {
	return appendU64(roomPrefix(prefixRoomStream, roomID), pos)
}

func currentStateTypePrefix(roomID, typ string) []byte {
	return appendComponent(roomPrefix(prefixCurrentState, roomID), typ)
}

func currentStateKey(roomID, typ, stateKey string) []byte {
	return appendComponent(currentStateTypePrefix(roomID, typ), stateKey)
}

func extremityKey(roomID, eventID string) []byte {
	return appendComponent(roomPrefix(prefixExtremity, roomID), eventID)
}

func txnKey(userID, deviceID, txnID string) []byte {
	return appendComponent(appendComponent(appendComponent([]byte{prefixTxn}, userID), deviceID), txnID)
}

func userRoomsPrefix(userID string) []byte { return appendComponent([]byte{prefixUserRoom}, userID) }

func userRoomKey(userID, roomID string) []byte {
	return appendComponent(userRoomsPrefix(userID), roomID)
}

func relationsPrefix(parentID string) []byte {
	return appendComponent([]byte{prefixRelation}, parentID)
}

func relationKey(parentID, relType string, pos uint64) []byte {
	return appendU64(appendComponent(relationsPrefix(parentID), relType), pos)
}

// splitComponent splits one length-prefixed component off k.
func splitComponent(k []byte) (string, []byte, bool) {
	if len(k) < 2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(k))
	if len(k) < 2+n {
		return "", nil, false
	}
	return string(k[2 : 2+n]), k[2+n:], true
}
