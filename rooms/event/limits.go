package event

// Size and count limits on PDUs.
const (
	// MaxSize is the largest an event may be "when formatted with the
	// federation event format, including any signatures, and encoded as
	// Canonical JSON" (client-server-api "Size limits").
	MaxSize = 65536
	// MaxIDBytes bounds sender, room_id, event_id, type and state_key
	// (client-server-api "Size limits"; appendices "User Identifiers",
	// "Room IDs", "Event IDs": 255 bytes including sigil and domain).
	MaxIDBytes = 255
	// MaxPrevEvents is the most prev_events a PDU may list ("Must contain
	// less than or equal to 20 events", server-server definitions pdu_v1 …
	// pdu_v12).
	MaxPrevEvents = 20
	// MaxAuthEvents is the most auth_events a PDU may list ("Must contain
	// less than or equal to 10 events", same definitions).
	MaxAuthEvents = 10
	// MaxDepth is the largest depth in room versions 1 to 5 ("Must be less
	// than the maximum value for an integer (2^63 - 1). If the room's depth
	// is already at the limit, the depth must be set to the limit.").
	MaxDepth = 1<<63 - 1
	// MaxDepthStrict is the largest depth from room version 6, where
	// canonical JSON limits integers to 2^53 - 1 (components/depth_v6.yaml).
	MaxDepthStrict = 1<<53 - 1
)
