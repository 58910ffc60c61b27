package homeserver

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// errNoFederation reports a backfill asked for before the federation
// client and keyring exist.
var errNoFederation = errors.New("homeserver: federation is not running")

// backfiller is the joining side of backfill for the room directory: the
// federation client fetches, federation.CheckBackfill checks, the room
// actors place. The client and keyring are looked up per call because the
// keyring exists only once the federation listener is built.
func (s *Server) backfiller(rooms *room.Directory) *room.Backfiller {
	return &room.Backfiller{
		Rooms: rooms, Store: s.store, ServerName: s.cfg.ServerName,
		Fetch: func(ctx context.Context, server, roomID string, from []string, limit int) ([]json.RawMessage, error) {
			h := s.handshake()
			if h == nil {
				return nil, errNoFederation
			}
			return h.Client.Backfill(ctx, server, roomID, from, limit)
		},
		Check: func(ctx context.Context, roomID string, v version.Spec, create *event.Event, raws []json.RawMessage,
			held func(id string) (*event.Event, bool, error)) (room.BackfillVerdict, error) {
			h := s.handshake()
			if h == nil {
				return room.BackfillVerdict{}, errNoFederation
			}
			res, err := federation.CheckBackfill(ctx, h.Keyring, roomID, v, create, raws, held)
			return room.BackfillVerdict{Accepted: res.Accepted, Refused: len(res.Refused), NeedAuth: res.NeedAuth}, err
		},
		FetchAuth: func(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, of []string,
			held func(id string) (*event.Event, bool, error)) ([]*event.Event, error) {
			h := s.handshake()
			if h == nil {
				return nil, errNoFederation
			}
			return federation.FetchAuthChains(ctx, h.Client, h.Keyring, server, roomID, v, create, of, held)
		},
		FetchState: func(ctx context.Context, server, roomID string, v version.Spec, create *event.Event, at []*event.Event,
			held func(id string) (*event.Event, bool, error)) (room.BackfillStates, error) {
			h := s.handshake()
			if h == nil {
				return room.BackfillStates{}, errNoFederation
			}
			res, err := federation.FetchStatesBefore(ctx, h.Client, h.Keyring, server, roomID, v, create, at, held)
			return room.BackfillStates{Events: res.Events, States: res.States}, err
		},
	}
}
