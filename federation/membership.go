package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/axonhs/axon/rooms/event"
)

// SendLeave sends a signed leave built by Make to server (PUT
// /v2/send_leave; leaving-v2.yaml): rejecting an invite or withdrawing a
// knock in a room this server is not in.
func (h *Handshake) SendLeave(ctx context.Context, server string, leave *event.Event) error {
	uri := "/_matrix/federation/v2/send_leave/" + url.PathEscape(leave.RoomID) + "/" + url.PathEscape(leave.ID)
	return h.Client.Put(ctx, server, uri, json.RawMessage(leave.Raw), nil)
}

// SendKnock sends a signed knock built by Make to server (PUT
// /v1/send_knock; knocks.yaml) and returns the room's stripped state from
// the answer, for the knocking user's /sync.
func (h *Handshake) SendKnock(ctx context.Context, server string, knock *event.Event) ([]json.RawMessage, error) {
	uri := "/_matrix/federation/v1/send_knock/" + url.PathEscape(knock.RoomID) + "/" + url.PathEscape(knock.ID)
	var ans struct {
		KnockRoomState []json.RawMessage `json:"knock_room_state"`
	}
	if err := h.Client.Put(ctx, server, uri, json.RawMessage(knock.Raw), &ans); err != nil {
		return nil, err
	}
	return ans.KnockRoomState, nil
}

// SendInvite sends an invite built by this server to the invitee's server
// (PUT /v2/invite; invites-v2.yaml) with the room's stripped state, and
// returns the invite as the invitee's server signed it, after checking
// that it is the same event and that the invitee's server's signature
// verifies.
func (h *Handshake) SendInvite(ctx context.Context, invite *event.Event, stripped []json.RawMessage) (*event.Event, error) {
	if invite.StateKey == nil {
		return nil, fmt.Errorf("%w: the invite has no state key", ErrBadPDU)
	}
	server := serverOf(*invite.StateKey)
	uri := "/_matrix/federation/v2/invite/" + url.PathEscape(invite.RoomID) + "/" + url.PathEscape(invite.ID)
	if stripped == nil {
		stripped = []json.RawMessage{}
	}
	body := map[string]any{"room_version": string(invite.Version.ID), "event": json.RawMessage(invite.Raw), "invite_room_state": stripped}
	var ans struct {
		Event json.RawMessage `json:"event"`
	}
	if err := h.Client.Put(ctx, server, uri, body, &ans); err != nil {
		return nil, err
	}
	cp, err := CheckPDU(ctx, h.Keyring, ans.Event, invite.Version)
	if err != nil {
		return nil, err
	}
	if cp.Redacted || cp.Event.ID != invite.ID {
		return nil, fmt.Errorf("%w: the invitee's server returned another event", ErrPDUSignature)
	}
	signers, err := verifiedSigners(ctx, h.Keyring, cp.Event)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(signers, server) {
		return nil, fmt.Errorf("%w: the invite lacks the signature of %s", ErrPDUSignature, server)
	}
	return cp.Event, nil
}

// QueryDirectory resolves a room alias through its server (GET
// /v1/query/directory; query.yaml): the room ID and the servers to join
// it through.
func (h *Handshake) QueryDirectory(ctx context.Context, alias, server string) (string, []string, error) {
	var ans struct {
		RoomID  string   `json:"room_id"`
		Servers []string `json:"servers"`
	}
	if err := h.Client.Get(ctx, server, "/_matrix/federation/v1/query/directory?room_alias="+url.QueryEscape(alias), &ans); err != nil {
		return "", nil, err
	}
	return ans.RoomID, ans.Servers, nil
}
