package room

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/event"
)

// Proposal is an event a local user wants to send: what a client handler
// copies out of a request. The room core chooses everything else
// (prev_events, depth, auth_events, timestamps, hashes, signature).
type Proposal struct {
	Type     string
	StateKey *string // nil for a message event; "" is a valid state key
	Sender   string
	// Content is a JSON object; nil means {}.
	Content json.RawMessage
	// Redacts is the event an m.room.redaction redacts (written as
	// content.redacts from room version 11, top-level redacts before).
	Redacts string
	// RedactTarget, when the caller has it, is the event named by Redacts;
	// Propose then also checks the sender may redact it (the target must be
	// in this room, and someone else's event needs the redact power level).
	RedactTarget *event.Event
}

// StateKeyOf returns a pointer to s, for Proposal.StateKey.
func StateKeyOf(s string) *string { return &s }
