package federation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// MaxAuthChainFetches bounds the /event_auth requests one FetchAuthChains
// call makes: the chains of a room's events overlap, so a few cover an
// answer.
const MaxAuthChainFetches = 4

// FetchAuthChains fetches from destination the auth chains of events of
// roomID that a /backfill answer could not be checked without (GET
// /event_auth, server-server-api "Retrieving events": "auth events may
// need fetching"), and checks them like any received PDU: format,
// signatures and hashes (CheckPDU), then, in auth order, each against its
// own auth events, which must be among the checked ones or held here. It
// returns the events that passed and are not held yet, in auth order, to
// be stored as outliers; the others are left out.
func FetchAuthChains(ctx context.Context, client *Client, keys *Keyring, destination, roomID string, v version.Spec,
	create *event.Event, of []string, held HeldEvent) ([]*event.Event, error) {
	var raws []json.RawMessage
	var errs []error
	for _, id := range of[:min(len(of), MaxAuthChainFetches)] {
		chain, err := client.GetEventAuth(ctx, destination, roomID, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		raws = append(raws, chain...)
	}
	if len(raws) == 0 {
		if len(errs) > 0 {
			return nil, fmt.Errorf("fetching auth chains from %s: %w", destination, errs[0])
		}
		return nil, nil
	}
	got := (&EventFetcher{Client: client, Keyring: keys}).CheckEvents(ctx, roomID, v, raws)
	accepted := make(map[string]*event.Event, len(got.Events))
	var out []*event.Event
	for _, ev := range AuthOrder(got.Events) {
		if _, ok, err := held(ev.ID); err != nil {
			return nil, err
		} else if ok {
			accepted[ev.ID] = ev
			continue
		}
		if err := checkBackfillAuth(ev, create, accepted, held); err != nil {
			continue
		}
		accepted[ev.ID] = ev
		out = append(out, ev)
	}
	return out, ctx.Err()
}
