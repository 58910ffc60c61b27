package federation

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/event"
)

// strippedTypes are the state events given as stripped state with a knock
// or an invite (client-server-api "Stripped state": the recommended
// types).
var strippedTypes = []string{"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar",
	"m.room.canonical_alias", "m.room.encryption", "m.room.topic"}

// sendKnock answers PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}
// (knocks.yaml): the knock is checked and applied, and the answer carries
// the room's stripped state for the knocking user's client.
func (a *API) sendKnock(ctx *fasthttp.RequestCtx, origin string) error {
	ev, _, err := a.acceptMembership(ctx, origin, event.MembershipKnock)
	if err != nil {
		return err
	}
	state, err := a.strippedState(ev.RoomID)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"knock_room_state": state})
	return nil
}

// strippedState is the stripped form (type, state_key, content, sender)
// of the room's current state events of strippedTypes.
func (a *API) strippedState(roomID string) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	for _, typ := range strippedTypes {
		rec, err := a.cfg.Store.CurrentStateEvent(roomID, typ, "")
		if err != nil {
			continue
		}
		ev, err := rec.Event()
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(map[string]any{"type": ev.Type, "state_key": *ev.StateKey, "content": ev.Content, "sender": ev.Sender})
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}
