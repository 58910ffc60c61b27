package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// ErrBackfillAuth reports a backfilled event that its auth events do not
// allow, or whose auth events are neither in the answer nor held here: it
// is refused.
var ErrBackfillAuth = errors.New("federation: backfilled event fails auth")

// Backfill asks destination for the events of roomID that precede the
// events in from, from included, up to limit of them
// (GET /_matrix/federation/v1/backfill/{roomId}, backfill.yaml). The
// answer is a transaction; its PDUs are returned unchecked.
func (c *Client) Backfill(ctx context.Context, destination, roomID string, from []string, limit int) ([]json.RawMessage, error) {
	q := url.Values{}
	for _, id := range from {
		q.Add("v", id)
	}
	q.Set("limit", strconv.Itoa(limit))
	var res struct {
		PDUs []json.RawMessage `json:"pdus"`
	}
	uri := "/_matrix/federation/v1/backfill/" + pathEscape(roomID) + "?" + q.Encode()
	if err := c.Get(ctx, destination, uri, &res); err != nil {
		return nil, fmt.Errorf("backfill from %s: %w", destination, err)
	}
	return res.PDUs, nil
}
