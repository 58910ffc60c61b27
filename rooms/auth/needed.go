package auth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// ErrBadMemberEvent is returned by EventsNeeded for an m.room.member event
// without a state_key or with content that is not a JSON object.
var ErrBadMemberEvent = errors.New("auth: malformed m.room.member event")

// EventsNeeded returns the state slots an event of this shape must cite as
// auth_events (server-server-api.md "Auth events selection"): the create
// event (not in v12, where the room ID stands for it), the power levels, the
// sender's member event, and for m.room.member the target's member event,
// the join rules (membership join, invite or knock), the third-party invite
// the invite redeems, and on a restricted join the member event of the
// join_authorised_via_users_server user. m.room.create needs none.
func EventsNeeded(v version.Spec, typ string, stateKey *string, sender string, content json.RawMessage) ([]event.StateKey, error) {
	if typ == event.TypeCreate {
		return nil, nil
	}
	out := make([]event.StateKey, 0, 6)
	if !v.RoomIDFromCreateEvent {
		out = append(out, keyCreate)
	}
	out = append(out, keyPowerLevels, keyMember(sender))
	if typ != event.TypeMember {
		return out, nil
	}
	if stateKey == nil {
		return nil, fmt.Errorf("%w: no state_key", ErrBadMemberEvent)
	}
	var mc struct {
		Membership       json.RawMessage `json:"membership"`
		ThirdPartyInvite json.RawMessage `json:"third_party_invite"`
		Via              json.RawMessage `json:"join_authorised_via_users_server"`
	}
	if err := json.Unmarshal(content, &mc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMemberEvent, err)
	}
	out = appendUnique(out, keyMember(*stateKey))
	var membership string
	_ = json.Unmarshal(mc.Membership, &membership)
	switch membership {
	case event.MembershipJoin, event.MembershipInvite, event.MembershipKnock:
		out = append(out, keyJoinRules)
	}
	if membership == event.MembershipInvite && mc.ThirdPartyInvite != nil {
		var tpi struct {
			Signed struct {
				Token *string `json:"token"`
			} `json:"signed"`
		}
		if json.Unmarshal(mc.ThirdPartyInvite, &tpi) == nil && tpi.Signed.Token != nil {
			out = append(out, keyThirdPartyInvite(*tpi.Signed.Token))
		}
	}
	if membership == event.MembershipJoin && v.Restricted && mc.Via != nil {
		var via string
		if json.Unmarshal(mc.Via, &via) == nil {
			out = appendUnique(out, keyMember(via))
		}
	}
	return out, nil
}

func appendUnique(keys []event.StateKey, k event.StateKey) []event.StateKey {
	for _, have := range keys {
		if have == k {
			return keys
		}
	}
	return append(keys, k)
}
