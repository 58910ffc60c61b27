package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// ErrBadRoomState reports an answer to /state_ids, /state, /event or
// /event_auth that is not what the spec's schema says (events.yaml,
// event_auth.yaml).
var ErrBadRoomState = errors.New("federation: malformed room state answer")

// Bounds on what one answer may name; a bigger answer is refused as
// malformed rather than worked through.
const (
	maxStateIDs  = 200_000
	maxEventIDSz = 255 // appendices "Event IDs": at most 255 bytes
)

// StateIDs is the answer to GET /_matrix/federation/v1/state_ids/{roomId}:
// the IDs of the room's state at (before) an event and of those events'
// auth chain.
type StateIDs struct {
	PDUIDs       []string `json:"pdu_ids"`
	AuthChainIDs []string `json:"auth_chain_ids"`
}

// RoomState is the answer to GET /_matrix/federation/v1/state/{roomId}: the
// state events themselves and their auth chain.
type RoomState struct {
	PDUs      []json.RawMessage `json:"pdus"`
	AuthChain []json.RawMessage `json:"auth_chain"`
}

// GetStateIDs asks destination for the IDs of the state of roomID at
// eventID (server-server-api "Room State": "a snapshot of a room's state at
// a given event", which servers answer with the state before the event).
func (c *Client) GetStateIDs(ctx context.Context, destination, roomID, eventID string) (StateIDs, error) {
	var raw json.RawMessage
	uri := "/_matrix/federation/v1/state_ids/" + pathEscape(roomID) + "?event_id=" + url.QueryEscape(eventID)
	if err := c.Get(ctx, destination, uri, &raw); err != nil {
		return StateIDs{}, err
	}
	return ParseStateIDs(raw)
}

// ParseStateIDs decodes and bounds a /state_ids answer: both lists must be
// there, name at most 200,000 events together, and hold only non-empty
// event IDs of at most 255 bytes.
func ParseStateIDs(raw []byte) (StateIDs, error) {
	var res struct {
		PDUIDs       *[]string `json:"pdu_ids"`
		AuthChainIDs *[]string `json:"auth_chain_ids"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return StateIDs{}, fmt.Errorf("%w: /state_ids answer: %v", ErrBadRoomState, err)
	}
	if res.PDUIDs == nil || res.AuthChainIDs == nil {
		return StateIDs{}, fmt.Errorf("%w: /state_ids answer lacks pdu_ids or auth_chain_ids", ErrBadRoomState)
	}
	out := StateIDs{PDUIDs: *res.PDUIDs, AuthChainIDs: *res.AuthChainIDs}
	if len(out.PDUIDs)+len(out.AuthChainIDs) > maxStateIDs {
		return StateIDs{}, fmt.Errorf("%w: /state_ids names %d events", ErrBadRoomState, len(out.PDUIDs)+len(out.AuthChainIDs))
	}
	for _, list := range [][]string{out.PDUIDs, out.AuthChainIDs} {
		for _, id := range list {
			if id == "" || len(id) > maxEventIDSz {
				return StateIDs{}, fmt.Errorf("%w: event ID %q", ErrBadRoomState, id)
			}
		}
	}
	return out, nil
}

// GetState asks destination for the state of roomID at eventID with the
// events themselves, for when fetching them one by one would take too
// many requests.
func (c *Client) GetState(ctx context.Context, destination, roomID, eventID string) (RoomState, error) {
	var res struct {
		PDUs      *[]json.RawMessage `json:"pdus"`
		AuthChain *[]json.RawMessage `json:"auth_chain"`
	}
	uri := "/_matrix/federation/v1/state/" + pathEscape(roomID) + "?event_id=" + url.QueryEscape(eventID)
	if err := c.Get(ctx, destination, uri, &res); err != nil {
		return RoomState{}, err
	}
	if res.PDUs == nil || res.AuthChain == nil {
		return RoomState{}, fmt.Errorf("%w: /state answer lacks pdus or auth_chain", ErrBadRoomState)
	}
	return RoomState{PDUs: *res.PDUs, AuthChain: *res.AuthChain}, nil
}

// GetEvent asks destination for one event (server-server-api "Retrieving
// events": GET /_matrix/federation/v1/event/{eventId} answers a
// transaction holding that single PDU).
func (c *Client) GetEvent(ctx context.Context, destination, eventID string) (json.RawMessage, error) {
	var res struct {
		PDUs []json.RawMessage `json:"pdus"`
	}
	if err := c.Get(ctx, destination, "/_matrix/federation/v1/event/"+pathEscape(eventID), &res); err != nil {
		return nil, err
	}
	if len(res.PDUs) != 1 {
		return nil, fmt.Errorf("%w: /event answer holds %d PDUs, want 1", ErrBadRoomState, len(res.PDUs))
	}
	return res.PDUs[0], nil
}

// GetEventAuth asks destination for the full auth chain of an event of
// roomID (GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}).
func (c *Client) GetEventAuth(ctx context.Context, destination, roomID, eventID string) ([]json.RawMessage, error) {
	var res struct {
		AuthChain *[]json.RawMessage `json:"auth_chain"`
	}
	if err := c.Get(ctx, destination, "/_matrix/federation/v1/event_auth/"+pathEscape(roomID)+"/"+pathEscape(eventID), &res); err != nil {
		return nil, err
	}
	if res.AuthChain == nil {
		return nil, fmt.Errorf("%w: /event_auth answer lacks auth_chain", ErrBadRoomState)
	}
	return *res.AuthChain, nil
}
