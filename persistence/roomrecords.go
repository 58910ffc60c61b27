package persistence

import "github.com/axonhs/axon/rooms/event"

// RoomInfo is what the store knows of a room as a whole.
type RoomInfo struct {
	Version string `json:"version"`
	Creator string `json:"creator,omitempty"`
	// CreatedStream is the stream position of the create event.
	CreatedStream uint64 `json:"created_stream"`
	// StateGroup is the group of the current state; Chain counts the deltas
	// since its last snapshot.
	StateGroup uint64 `json:"state_group"`
	Chain      int    `json:"chain"`
}

// Topo is a position in a room's topological ordering: events sort by depth,
// then by stream position. Pagination tokens of /messages are Topos.
type Topo struct {
	Depth  int64
	Stream uint64
}

// After is the first position after t, so that paginating forwards from
// t.After() starts with the event following the one at t.
func (t Topo) After() Topo { return Topo{Depth: t.Depth, Stream: t.Stream + 1} }

// StateMap is room state as slot → event NID.
type StateMap map[event.StateKey]uint64

// StateEntry is one slot of a state group; NID 0 removes the slot.
type StateEntry struct {
	Type     string `json:"t"`
	StateKey string `json:"k"`
	NID      uint64 `json:"n"`
}

// StateGroup is the state after some event of a room: either a full
// snapshot, or a delta (the slots that changed) on its parent group.
// A room writes a snapshot every SnapshotInterval groups, so retrieving a
// state reads at most that many groups and no event carries a full copy.
type StateGroup struct {
	RoomID   string       `json:"room"`
	Parent   uint64       `json:"parent,omitempty"`
	Snapshot bool         `json:"snapshot,omitempty"`
	Entries  []StateEntry `json:"entries"`
}

// SnapshotInterval is how many delta groups may follow a snapshot.
const SnapshotInterval = 32

// TxnRecord remembers a client transaction ID (client-server-api
// "Transaction identifiers": scoped to the device, idempotent).
type TxnRecord struct {
	EventID string `json:"event_id"`
	// RequestHash identifies the request (endpoint, room, body): a reuse of
	// the txnId with a different request is refused.
	RequestHash string `json:"request_hash"`
}

// UserMembership is a user's membership in one room and the event that set
// it.
type UserMembership struct {
	RoomID     string `json:"-"`
	Membership string `json:"membership"`
	EventNID   uint64 `json:"nid"`
	Stream     uint64 `json:"stream"`
}
