package persistence

import (
	"encoding/binary"
)

// Key schema. Every key starts with one prefix byte naming its family.
// Variable-length components are written as a big-endian uint16 length
// followed by the bytes, so that no component can run into the next one and a
// prefix scan over one user's rows never matches another user's. Numbers in
// keys are big-endian and fixed width. Values are JSON records (records.go).
//
//	prefix 'u'  u | lp(localpart)                              → Account
//	prefix 'd'  d | lp(localpart) | lp(deviceID)               → Device
//	prefix 't'  t | sha256(access token) [32]                   → AccessToken
//	prefix 'T'  T | lp(localpart) | lp(deviceID) | sha256 [32]  → empty: index of a device's access tokens
//	prefix 'r'  r | sha256(refresh token) [32]                  → RefreshToken
//	prefix 'R'  R | lp(localpart) | lp(deviceID) | sha256 [32]  → empty: index of a device's refresh tokens
//	prefix 'n'  n | nonce                                       → expiry, unix ms as big-endian uint64
//	prefix 'g'  g | registration token                          → RegistrationToken
//	prefix 's'  s | "user_seq"                                  → big-endian uint64: last generated numeric localpart
//	prefix 'S'  S | lp(server name) | lp(key ID)                → ServerKey: a remote server's verified signing key (a cache: NoSync)
//	prefix 'A'  A | 0 | lp(alias)                               → Alias (aliases.go)
//	prefix 'A'  A | 1 | lp(roomID) | lp(alias)                  → empty: index of a room's aliases
//	prefix 'P'  P | lp(roomID)                                  → empty: room published in the public directory
//	prefix 'Q'  Q | 0                                           → big-endian uint64: last report ID
//	prefix 'Q'  Q | 1 | id [8]                                  → Report (reports.go)
//	prefix 'F'  F | lp(userID) | lp(roomID)                     → empty: the user forgot the room
//	prefix 'N'  N | 0 | word | 0x00 | localpart                  → empty: a lowercased word of a local user's localpart or
//	                                                                display name, for /user_directory/search (userdirectory.go)
//	prefix 'N'  N | 1 | lp(localpart)                           → JSON []string: the words indexed for the user now
//	prefix 'N'  N | 2                                           → empty: accounts older than the index have been indexed
//
// Per-user data (written only by the user actor of the localpart in the key;
// see userdatakeys.go and the file named for each family). 'K' and 'C' stand
// in for the 'k' and 'c' first planned here, which the room families use:
//
//	prefix 'a'  a | 0 | lp(localpart) | lp(roomID) | lp(type)     → AccountData (accountdata.go)
//	prefix 'a'  a | 1 | lp(localpart) | pos                       → lp(roomID) lp(type): the user's account-data stream
//	prefix 'a'  a | 2 | lp(localpart)                             → pos: last account-data position
//	prefix 'K'  K | 0 | lp(localpart) | lp(deviceID)              → device keys JSON (e2ee.go)
//	prefix 'K'  K | 1 | lp(localpart) | lp(deviceID) | lp(alg) | lp(id) → one-time key JSON
//	prefix 'K'  K | 2 | lp(localpart) | lp(deviceID) | lp(alg)    → FallbackKey
//	prefix 'K'  K | 3 | lp(localpart) | lp(usage)                 → cross-signing key JSON
//	prefix 'K'  K | 4 | lp(localpart) | lp(userID) | lp(keyID)    → the user's signatures on another user's key
//	prefix 'K'  K | 5 | lp(remote userID)                         → RemoteDeviceList: a remote user's cached devices (remotedevices.go)
//	prefix 'K'  K | 6 | lp(localpart)                             → SentDeviceList: what was last announced of the user's devices
//	prefix 'v'  v | 0 | lp(localpart) | lp(deviceID)              → pos: last to-device position (todevice.go)
//	prefix 'v'  v | 1 | lp(localpart) | lp(deviceID) | pos        → ToDeviceMessage: the device's inbox
//	prefix 'v'  v | 2 | lp(localpart) | lp(sender) | lp(senderDevice) | lp(txnID) → empty: delivered transaction
//	prefix 'f'  f | lp(localpart) | id [8]                        → filter JSON (filters.go)
//	prefix 'p'  p | lp(localpart)                                 → Profile (profile.go)
//	prefix 'C'  C | pos                                           → localpart, or "@…" remote user ID: the device-list change log (devicelists.go)
//	prefix 'H'  H | lp(roomID)                                    → JSON server names given the room's local members' device lists
//	                                                                (roomdevicelistservers.go, written by http/e2ee)
//
// Streams with many writers, positions allocated under a mutex (streamlog.go).
// Receipts use 'Y' because the rooms' stream index took 'y':
//
//	prefix 'Y'  Y | 0 | lp(roomID) | lp(type) | lp(userID) | lp(threadID) → Receipt (receipts.go)
//	prefix 'Y'  Y | 1 | pos                                       → the receipt's four key components: the receipt stream
//	prefix 'z'  z | 0 | lp(userID)                                → Presence (presence.go)
//	prefix 'z'  z | 1 | pos                                       → userID: the presence stream
//
// Federation (see outbox.go and federation_txn.go). 'O' rows are written by
// the room actor in the event's own batch and deleted by the destination's
// server actor, which alone writes 'D'; 'I' is written by the inbound /send
// handler:
//
//	prefix 'O'  O | lp(destination) | stream                      → nid: a PDU queued for a destination
//	prefix 'D'  D | lp(destination)                               → DestinationState: transaction in flight, backoff
//	prefix 'I'  I | lp(origin) | lp(txnID)                        → InboundTxn: the answer to a received transaction
//	prefix 'V'  V | lp(destination) | seq                         → m.direct_to_device EDU content queued for a destination
//	                                                                (todeviceoutbox.go: written before /sendToDevice answers,
//	                                                                deleted by the server actor)
//
// Rooms (written only by the room actor of the room; see roomkeys.go). nid,
// stream and group are big-endian uint64; depth is an int64 with its sign bit
// flipped so that it sorts as a number:
//
//	prefix 'e'  e | nid                                 → StoredEvent (binary, eventrecord.go): the event, stored once;
//	                                                      its flags byte marks an outlier (outliers.go)
//	prefix 'E'  E | eventID                             → nid
//	prefix 'o'  o | stream                              → nid: the global stream ordering (watermark in stream.go)
//	prefix 'k'  k | lp(roomID) | depth | stream         → nid: a room's topological ordering, for /messages
//	prefix 'y'  y | lp(roomID) | stream                 → nid: a room's events in stream order, for sync
//	prefix 'M'  M | lp(roomID)                          → RoomInfo: version, creator, current state group
//	prefix 'c'  c | lp(roomID) | lp(type) | lp(stateKey) → nid: the current state
//	prefix 'G'  G | group                               → StateGroup: a snapshot or a delta on its parent
//	prefix 'x'  x | lp(roomID) | lp(eventID)            → nid: the forward extremities
//	prefix 'X'  X | lp(userID) | lp(deviceID) | lp(txnID) → TxnRecord: client transaction IDs
//	prefix 'W'  W | nid                                 → EventTxn: the sender's device and txnId, for unsigned.transaction_id (eventtxn.go)
//	prefix 'b'  b | lp(userID) | lp(roomID)             → UserMembership: every room a user has a membership in
//	prefix 'l'  l | lp(parentEventID) | lp(relType) | stream → nid of the child: the relations index
//	prefix 'B'  B | 0 | lp(roomID)                      → BackfillState: the backward extremities are computed (backfill.go)
//	prefix 'B'  B | 1 | lp(roomID) | lp(eventID)        → BackwardExtremity: a timeline event whose prev_events are not held;
//	                                                      a backfilled event has 'e', 'E', 'o' and 'k' rows but no 'y' row
//	prefix 'B'  B | 2 | lp(roomID) | lp(targetID) | lp(redactionID) → empty: a redaction waiting for its target's backfill
//
// An outlier (an event held but not in the timeline: send_join state and
// auth chain, fetched auth events and state) has its 'e' and 'E' rows only,
// Stream 0 and no 'o', 'k' or 'y' row, so no timeline read returns it. A
// timeline PutEvent with the outlier's NID moves it into the timeline.
//
// Prefixes 'A', 'P', 'Q' and 'F' are reserved for the room directory
// (aliases, public rooms, reports, forgotten rooms).
//
// Tokens are stored only as SHA-256 hashes: a copy of the store does not hand
// out working credentials. UIA sessions are not persisted: they live in memory
// (bounded, with expiry) in http/client, and a restart only makes a client
// start its interactive authentication again.
const (
	prefixAccount        byte = 'u'
	prefixDevice         byte = 'd'
	prefixAccessToken    byte = 't'
	prefixDeviceAccess   byte = 'T'
	prefixRefreshToken   byte = 'r'
	prefixDeviceRefresh  byte = 'R'
	prefixNonce          byte = 'n'
	prefixRegToken       byte = 'g'
	prefixSequence       byte = 's'
	prefixEvent          byte = 'e'
	prefixEventID        byte = 'E'
	prefixStream         byte = 'o'
	prefixTopo           byte = 'k'
	prefixRoomStream     byte = 'y'
	prefixRoom           byte = 'M'
	prefixCurrentState   byte = 'c'
	prefixStateGroup     byte = 'G'
	prefixExtremity      byte = 'x'
	prefixTxn            byte = 'X'
	prefixUserRoom       byte = 'b'
	prefixRelation       byte = 'l'
	maxKeyComponentBytes      = 0xFFFF
)

// TokenHash is the SHA-256 of an access or refresh token.
type TokenHash [32]byte

func appendComponent(k []byte, s string) []byte {
	k = binary.BigEndian.AppendUint16(k, uint16(len(s)))
	return append(k, s...)
}

func accountKey(localpart string) []byte {
	return appendComponent([]byte{prefixAccount}, localpart)
}

func deviceKey(localpart, deviceID string) []byte {
	return appendComponent(devicePrefix(prefixDevice, localpart), deviceID)
}

// devicePrefix is the prefix of every row of one user in a per-device family.
func devicePrefix(family byte, localpart string) []byte {
	return appendComponent([]byte{family}, localpart)
}

func deviceTokensPrefix(family byte, localpart, deviceID string) []byte {
	return appendComponent(devicePrefix(family, localpart), deviceID)
}

func deviceTokenKey(family byte, localpart, deviceID string, h TokenHash) []byte {
	return append(deviceTokensPrefix(family, localpart, deviceID), h[:]...)
}

func accessTokenKey(h TokenHash) []byte  { return append([]byte{prefixAccessToken}, h[:]...) }
func refreshTokenKey(h TokenHash) []byte { return append([]byte{prefixRefreshToken}, h[:]...) }
func nonceKey(nonce string) []byte       { return append([]byte{prefixNonce}, nonce...) }
func regTokenKey(token string) []byte    { return append([]byte{prefixRegToken}, token...) }
func sequenceKey(name string) []byte     { return append([]byte{prefixSequence}, name...) }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
